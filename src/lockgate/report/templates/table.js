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
    kind: (r) => r.cells[r.cells.length - 1].textContent.toLowerCase(),
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
    const sorted = rows.slice().sort((a, b) => {
      const x = get(a);
      const y = get(b);
      return (x < y ? -1 : x > y ? 1 : 0) * order || a.dataset.order - b.dataset.order;
    });
    body.append(...sorted);
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
  const texts = new Map(
    rows.map((r) => [r, (r.textContent + " " + r.cells[0].title).toLowerCase()]),
  );
  const apply = () => {
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
