/* Tessera pages: the few behaviours htmx does not cover. Loaded as a file so the content
   security policy can forbid inline scripts. */
(function () {
  "use strict";

  // Picking a type-ahead result: keep the id in the hidden input, the name in the visible one,
  // then announce a change so the form's field rules are evaluated again.
  document.addEventListener("click", function (event) {
    var option = event.target.closest(".lookup-option");
    if (!option) { return; }
    var wrapper = option.closest(".lookup");
    if (!wrapper) { return; }
    var hidden = wrapper.querySelector("input[type=hidden][data-lookup]");
    var label = wrapper.querySelector(".lookup-label");
    var results = wrapper.querySelector(".lookup-results");
    hidden.value = option.dataset.id;
    label.value = option.dataset.name;
    results.textContent = "";
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // Typing in a type-ahead box is not yet a value: keep it from re-drawing the form.
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("lookup-label")) {
      event.stopPropagation();
    }
  }, true);

  // Forms that destroy something ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("confirm") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.documentElement.dataset.appScript = "ready";
})();
