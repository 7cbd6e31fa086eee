(function () {
  // Filters of the index table. Initial state may come from the URL:
  // index.html?paper=lam2023&verdict=fail,inconclusive&q=text
  var box = document.getElementById("filters");
  if (!box) return;
  box.hidden = false;
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-verdict]"));
  var paper = document.getElementById("f-paper"), text = document.getElementById("f-text");
  var checks = Array.prototype.slice.call(box.querySelectorAll("input[type=checkbox]"));
  var count = document.getElementById("f-count");
  var params = {};  // the query as an object (the first value of a repeated key, as URLSearchParams.get)
  new URLSearchParams(window.location.search).forEach(function (v, k) { if (!(k in params)) params[k] = v; });
  if (params.paper) paper.value = params.paper;
  if (params.q) text.value = params.q;
  if (params.verdict) {
    var want = params.verdict.split(",");
    checks.forEach(function (c) { c.checked = want.indexOf(c.value) >= 0; });
  }
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
