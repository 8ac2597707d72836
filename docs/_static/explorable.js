/* Explorable figures (bnref/explorables.py). Every number and coordinate was computed by bnref
   when the book was built and is embedded in the figure's JSON block, one frame per slider
   position; this script only looks up the frame of the sliders' positions and copies its SVG
   attributes and output texts into the figure. No math here. */
(function () {
  "use strict";
  function setUp(fig) {
    var data = JSON.parse(fig.querySelector("script.bnx-data").textContent);
    var inputs = Array.prototype.slice.call(fig.querySelectorAll("input[type=range]"));
    function draw() {
      var frame = data.frames[inputs.map(function (i) { return i.value; }).join(",")];
      if (!frame) return;
      inputs.forEach(function (input, j) {
        var text = data.values[j][Number(input.value)];
        input.setAttribute("aria-valuetext", text);
        fig.querySelector('output[for="' + input.id + '"]').textContent = text;
      });
      Object.keys(frame.o).forEach(function (k) {
        var out = fig.querySelector('dd output[data-k="' + k + '"]');
        if (out) out.textContent = frame.o[k];
      });
      Object.keys(frame.e).forEach(function (k) {
        var el = fig.querySelector('svg [data-k="' + k + '"]');
        var attrs = frame.e[k];
        Object.keys(attrs).forEach(function (a) { el.setAttribute(a, attrs[a]); });
      });
    }
    inputs.forEach(function (input) {
      input.disabled = false;  // disabled in the HTML: without this script nothing would redraw
      input.addEventListener("input", draw);
    });
    fig.classList.add("bnx-live");
  }
  function all() {
    document.querySelectorAll("figure.explorable").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
