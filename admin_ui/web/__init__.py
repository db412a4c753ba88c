"""The web app: REST API, sign-in and the pages, built by :func:`admin_ui.web.app.create_app`."""
