// The site's search (index.html) and the behaviour filter (scenario pages). No network:
// the lunr index is window.SQLA_SEARCH, set by search-index.js (built by pages.py).
(function () {
  "use strict";
  // The same words as sqla_matrix/site/words.py: lowercase, compounds also in parts.
  function words(text) {
    var found = [];
    (text.toLowerCase().match(/[a-z0-9_]+(?:[+.][a-z0-9_]+)*/g) || []).forEach(function (w) {
      found.push(w);
      if (w.indexOf("+") >= 0) return;
      var parts = w.split(/[._]/).filter(Boolean);
      if (parts.length > 1) found.push.apply(found, parts);
    });
    return found.filter(function (w, i) { return found.indexOf(w) === i; });
  }

  function search(text) {
    var data = window.SQLA_SEARCH;
    if (!data || !window.lunr) return [];
    if (!data.idx) data.idx = lunr.Index.load(data.index);
    var terms = words(text).filter(function (w) {
      return lunr.stopWordFilter(new lunr.Token(w)) !== undefined;
    });
    if (!terms.length) return [];
    function run(presence) {
      return data.idx.query(function (q) {
        terms.forEach(function (t) { q.term(t, { presence: presence }); });
      });
    }
    // Every word first; where no page holds them all, the pages that hold the most.
    var hits = run(lunr.Query.presence.REQUIRED);
    return hits.length ? hits : run(lunr.Query.presence.OPTIONAL);
  }

  function show(list, text) {
    var hits = search(text).slice(0, 30);
    var docs = window.SQLA_SEARCH ? window.SQLA_SEARCH.docs : [];
    list.textContent = "";
    hits.forEach(function (hit) {
      var doc = docs[Number(hit.ref)]; // [path, title, one line, scenario]
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = doc[0];
      link.textContent = doc[1];
      var where = document.createElement("small");
      where.textContent = " — " + doc[3];
      var line = document.createElement("div");
      line.className = "line";
      line.textContent = doc[2];
      item.append(link, where, line);
      list.append(item);
    });
    if (text.trim() && !hits.length) list.textContent = "Nothing found for " + text;
  }

  var box = document.getElementById("search");
  var list = document.getElementById("results");
  if (box && list) {
    var asked = new URLSearchParams(location.search).get("q");
    if (asked) box.value = asked;
    box.addEventListener("input", function () { show(list, box.value); });
    if (box.value) show(list, box.value);
  }

  var filter = document.getElementById("filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var wanted = words(filter.value);
      document.querySelectorAll("#behaviours tbody tr").forEach(function (row) {
        var text = words(row.textContent).join(" ");
        row.hidden = !wanted.every(function (w) { return text.indexOf(w) >= 0; });
      });
    });
  }
})();
