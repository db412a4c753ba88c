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

  // Kanban: dropping a card on another lane submits that card's own "move to" form, so a drop
  // and the form without a script take the same path through the stage gate.
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".kanban .card[draggable=true]");
    if (!card) { return; }
    event.dataTransfer.setData("text/plain", card.dataset.id);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function (event) {
    var card = event.target.closest && event.target.closest(".kanban .card");
    if (card) { card.classList.remove("dragging"); }
  });
  document.addEventListener("dragover", function (event) {
    var lane = event.target.closest && event.target.closest(".kanban[data-move-url] .lane");
    if (!lane) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  });
  document.addEventListener("drop", function (event) {
    var lane = event.target.closest && event.target.closest(".kanban[data-move-url] .lane");
    if (!lane) { return; }
    event.preventDefault();
    var id = event.dataTransfer.getData("text/plain");
    var card = Array.prototype.find.call(document.querySelectorAll(".kanban .card"), function (item) { return item.dataset.id === id; });
    var form = card && card.querySelector("form.card-move");
    if (!form || card.closest(".lane") === lane) { return; }
    form.querySelector("select[name=value]").value = lane.dataset.value;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });

  document.documentElement.dataset.appScript = "ready";
})();
