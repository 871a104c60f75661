// Filters the findings and sorts the tables; the page reads the same without it.
(function () {
  "use strict";
  var all = function (selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  };
  var form = document.getElementById("filters");
  if (form) {
    form.hidden = false;
    var keys = ["rule", "severity", "cluster"];
    var apply = function () {
      var shown = 0;
      all(".finding").forEach(function (f) {
        var ok = keys.every(function (k) {
          var want = document.getElementById("f-" + k).value;
          return want === "" || f.getAttribute("data-" + k) === want;
        });
        f.hidden = !ok;
        if (ok) { shown += 1; }
      });
      all("section.group").forEach(function (g) {
        g.hidden = g.querySelector(".finding:not([hidden])") === null;
      });
      document.getElementById("f-count").textContent = shown + (shown === 1 ? " finding" : " findings");
    };
    keys.forEach(function (k) { document.getElementById("f-" + k).addEventListener("change", apply); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
  }
  all("table.sortable th button").forEach(function (button) {
    button.addEventListener("click", function () {
      var th = button.parentNode;
      var table = th.closest("table");
      var column = Array.prototype.indexOf.call(th.parentNode.children, th);
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      all("th", table).forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var nx = Number(x), ny = Number(y);
        var order = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
}());
