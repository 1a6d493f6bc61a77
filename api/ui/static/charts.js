// Small SVG bar charts (no library): incidents per hour and per grid. All text goes in with textContent.
"use strict";

function svgEl(name, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// Labels longer than this are cut with an ellipsis; the full text stays in the bar's <title> tooltip.
function shorten(text, max) {
  const chars = [...String(text)];
  return chars.length <= max ? chars.join("") : chars.slice(0, max - 1).join("") + "…";
}

// Vertical bars for [{key, count}] in an <svg viewBox="0 0 480 140">, every nth key under its bar
// (24 hours at every third label leave each label 60 units, far more than "00" needs).
function columnChart(svg, rows, colour, everyNthLabel) {
  svg.replaceChildren();
  const width = 480, height = 140, bottom = 18, top = 12;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
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
      svg.appendChild(svgEl("text", { x: x + slot * 0.4, y: height - 4, class: "label" }, r.key));
    }
  });
  svg.appendChild(svgEl("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: "axis" }));
}

// Horizontal bars, one row per key with its label on the left: grid names are long (and often Chinese),
// so labels under vertical bars overlapped; one label per row cannot.
function rowChart(svg, rows, colour) {
  svg.replaceChildren();
  const width = 480, rowH = 18, labelW = 150, countW = 34;
  const height = Math.max(1, rows.length) * rowH + 4;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const max = Math.max(1, ...rows.map((r) => r.count));
  rows.forEach((r, i) => {
    const y = 2 + i * rowH;
    const w = ((width - labelW - countW) * r.count) / max;
    const label = svgEl("text", { x: labelW - 6, y: y + rowH * 0.7, class: "label row-label" }, shorten(r.key, 12));
    label.appendChild(svgEl("title", {}, r.key));
    svg.appendChild(label);
    const bar = svgEl("rect", { x: labelW, y: y + 2, width: w, height: rowH - 4, fill: colour });
    bar.appendChild(svgEl("title", {}, `${r.key}: ${r.count}`));
    svg.appendChild(bar);
    svg.appendChild(svgEl("text", { x: labelW + w + 4, y: y + rowH * 0.7, class: "count row-count" }, r.count));
  });
  svg.appendChild(svgEl("line", { x1: labelW, x2: labelW, y1: 0, y2: height, class: "axis" }));
}
