// Sorting and filtering of the feature table. Without script the table reads the same, in the
// server's order (failures first, worst first); nothing here fetches anything.
(() => {
  const table = document.getElementById("features");
  const filter = document.getElementById("filter");
  if (!table || !filter) return;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const shown = document.getElementById("shown");
  const keys = {
    name: (r) => r.cells[0].textContent.toLowerCase(),
    score: (r) => Number(r.dataset.score),
    status: (r) => Number(r.dataset.rank),
    kind: (r) => r.querySelector("td.kind").textContent.toLowerCase(),
    owner: (r) => r.querySelector("td.owner").textContent.toLowerCase(),
  };
  const headers = Array.from(table.querySelectorAll("th[data-sort]"));
  let current = null;
  let ascending = true;
  const sort = (th) => {
    const key = th.dataset.sort;
    ascending = current === key ? !ascending : true;
    current = key;
    const get = keys[key];
    const order = ascending ? 1 : -1;
    // Keys read once per row; ties keep the server's order.
    const keyed = rows.map((r, i) => [get(r), i, r]);
    keyed.sort(([x, i], [y, j]) => (x < y ? -1 : x > y ? 1 : 0) * order || i - j);
    // Emptied in one step, then refilled: moving rows one by one out of a 10,000-row body
    // costs seconds.
    body.replaceChildren();
    body.append(...keyed.map(([, , r]) => r));
    for (const h of headers) h.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  };
  for (const th of headers) {
    th.tabIndex = 0;
    th.classList.add("sortable");
    th.addEventListener("click", () => sort(th));
    th.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        sort(th);
      }
    });
  }
  let texts = null; // read on first use: nothing costs page load
  const apply = () => {
    texts ??= new Map(rows.map((r) => [r, `${r.textContent} ${r.cells[0].title}`.toLowerCase()]));
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let count = 0;
    for (const r of rows) {
      const text = texts.get(r);
      r.hidden = !words.every((w) => text.includes(w));
      if (!r.hidden) count += 1;
    }
    shown.textContent = words.length ? `${count} of ${rows.length} shown` : "";
  };
  filter.addEventListener("input", apply);
  filter.closest(".filter").hidden = false;
})();
