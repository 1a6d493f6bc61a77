// Small SVG bar charts (no library): incidents per hour and per grid.
"use strict";

function svgEl(name, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// Draw bars for [{key, count}] into an <svg viewBox="0 0 480 140">, labels under the bars.
function barChart(svg, rows, colour, everyNthLabel) {
  svg.replaceChildren();
  const width = 480, height = 140, bottom = 18, top = 12;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const slot = width / Math.max(rows.length, 1);
  rows.forEach((r, i) => {
    const h = ((height - bottom - top) * r.count) / max;
    const x = i * slot + slot * 0.1;
    const bar = svgEl("rect", { x, y: height - bottom - h, width: slot * 0.8, height: h, fill: colour });
    bar.appendChild(svgEl("title", {}, `${r.key}: ${r.count}`));
    svg.appendChild(bar);
    if (r.count > 0) {
      svg.appendChild(svgEl("text", { x: x + slot * 0.4, y: height - bottom - h - 2, class: "count" }, r.count));
    }
    if (i % (everyNthLabel || 1) === 0) {
      svg.appendChild(svgEl("text", { x: x + slot * 0.4, y: height - 4, class: "label" }, r.key.slice(0, 8)));
    }
  });
  svg.appendChild(svgEl("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: "axis" }));
}
