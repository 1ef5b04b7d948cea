// The map legend on a phone (issue 21): folded by default under its "Chú giải" button, which unfolds and folds it
// (app/components/coverage_views.py folding_legend; app/assets/phusong.css hides the button on a desk, where the
// legend is always open). One listener for the document: the legend is re-created when the page is.
document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest(".legend-toggle");
    if (!button) { return; }
    const box = button.closest(".map-legend");
    if (!box) { return; }
    const open = box.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
});
