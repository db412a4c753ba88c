"""admin_ui"""
