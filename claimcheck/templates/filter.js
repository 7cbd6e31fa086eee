(function () {
  var box = document.getElementById("filters");
  if (!box) return;
  box.hidden = false;
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-verdict]"));
  var paper = document.getElementById("f-paper"), text = document.getElementById("f-text");
  var checks = Array.prototype.slice.call(box.querySelectorAll("input[type=checkbox]"));
  var count = document.getElementById("f-count");
  function apply() {
    var want = {}, q = text.value.trim().toLowerCase(), shown = 0;
    checks.forEach(function (c) { want[c.value] = c.checked; });
    rows.forEach(function (tr) {
      var ok = want[tr.dataset.verdict] && (!paper.value || tr.dataset.paper === paper.value) &&
               (!q || tr.textContent.toLowerCase().indexOf(q) >= 0);
      tr.hidden = !ok; if (ok) shown++;
    });
    count.textContent = shown + " of " + rows.length + " shown";
  }
  box.addEventListener("input", apply); box.addEventListener("change", apply); apply();
})();
