"use strict";
(function () {
var NS = "http://www.w3.org/2000/svg";
var box = document.getElementById("frames");
var num = function (k) { return +box.getAttribute("data-" + k); };
var W = num("chart-width"), XPAD = num("xpad"), TOP = num("top"), FH = num("frame-height");
var MAXD = num("max-depth"), INV = num("inverted"), CW = num("char-width"), TOTAL = num("total");
var details = document.getElementById("details"), matched = document.getElementById("matched");
var resetBtn = document.getElementById("reset"), input = document.getElementById("search");
var frames = [], stack = [], zoomed = -1, query = "";
var gs = box.children;
for (var i = 0; i < gs.length; i++) {
  var g = gs[i], r = g.querySelector("rect"), t = g.querySelector("title").textContent;
  var row = Math.round((+r.getAttribute("y") - TOP) / FH), d = INV ? row : MAXD - row;
  var f = { g: g, r: r, text: g.querySelector("text"), name: t.slice(0, t.lastIndexOf(" (")),
            v: +g.getAttribute("data-v"), x: +r.getAttribute("x"), w: +r.getAttribute("width"),
            fill: r.getAttribute("fill"), depth: d, parent: d > 0 ? stack[d - 1] : -1, end: gs.length };
  while (stack.length > d) frames[stack.pop()].end = i;
  stack.push(i);
  g.fgIndex = i;
  frames.push(f);
}
function label(f, x, w) {
  var fit = Math.floor((w - 6) / CW), s = "";
  if (fit >= 3) s = f.name.length <= fit ? f.name : f.name.slice(0, fit - 2) + "..";
  if (!f.text) {
    if (!s) return;
    f.text = document.createElementNS(NS, "text");
    f.text.setAttribute("y", +f.r.getAttribute("y") + 11.5);
    f.g.appendChild(f.text);
  }
  f.text.setAttribute("x", (x + 3).toFixed(2));
  f.text.textContent = s;
}
function place(f, x, w, shown, faded) {
  f.g.style.display = shown ? "" : "none";
  if (!shown) return;
  f.r.setAttribute("x", x.toFixed(2));
  f.r.setAttribute("width", w.toFixed(2));
  f.g.classList.toggle("faded", faded);
  label(f, x, w);
}
function saveState() {
  var parts = [];
  if (query) parts.push("search=" + encodeURIComponent(query));
  if (zoomed > 0) parts.push("zoom=" + encodeURIComponent(frames[zoomed].name));
  try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname); } catch (e) { }
}
function zoom(i) {
  if (i <= 0) { reset(); return; }
  var z = frames[i], s = W / z.w, anc = {};
  for (var p = z.parent; p >= 0; p = frames[p].parent) anc[p] = true;
  for (var j = 0; j < frames.length; j++) {
    var f = frames[j];
    if (j >= i && j < z.end) place(f, XPAD + (f.x - z.x) * s, f.w * s, true, false);
    else if (anc[j]) place(f, XPAD, W, true, true);
    else place(f, 0, 0, false, false);
  }
  zoomed = i;
  resetBtn.style.display = "";
  saveState();
}
function reset() {
  for (var j = 0; j < frames.length; j++) place(frames[j], frames[j].x, frames[j].w, true, false);
  zoomed = -1;
  resetBtn.style.display = "none";
  saveState();
}
function search(q) {
  var re = null, sum = 0, skip = -1;
  query = q;
  if (q) {
    try { re = new RegExp(q); } catch (e) { re = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")); }
  }
  for (var j = 0; j < frames.length; j++) {
    var f = frames[j], hit = !!re && j > 0 && re.test(f.name);
    f.r.setAttribute("fill", hit ? "rgb(230,0,230)" : f.fill);
    if (hit && j >= skip) { sum += f.v; skip = f.end; }
  }
  matched.textContent = re ? "Matched: " + (TOTAL > 0 ? 100 * sum / TOTAL : 0).toFixed(2) + "%" : "";
  saveState();
}
box.addEventListener("click", function (e) {
  var g = e.target.closest("#frames > g");
  if (g) zoom(g.fgIndex);
});
box.addEventListener("mouseover", function (e) {
  var g = e.target.closest("#frames > g");
  if (g) details.textContent = g.querySelector("title").textContent;
});
box.addEventListener("mouseout", function () { details.textContent = " "; });
resetBtn.addEventListener("click", reset);
input.addEventListener("input", function () { search(input.value); });
document.addEventListener("keydown", function (e) {
  if ((e.ctrlKey && e.key === "f") || (e.key === "/" && e.target !== input)) {
    e.preventDefault();
    input.focus();
  } else if (e.key === "Escape") {
    if (e.target === input) { input.value = ""; search(""); } else reset();
  }
});
resetBtn.style.display = "none";
location.hash.slice(1).split("&").forEach(function (kv) {
  var eq = kv.indexOf("="), k = kv.slice(0, eq), v;
  if (eq < 0) return;
  try { v = decodeURIComponent(kv.slice(eq + 1)); } catch (e) { return; }
  if (k === "search") { input.value = v; search(v); }
  if (k === "zoom") {
    var best = -1;
    for (var j = 1; j < frames.length; j++)
      if (frames[j].name === v && (best < 0 || frames[j].w > frames[best].w)) best = j;
    if (best > 0) zoom(best);
  }
});
document.documentElement.setAttribute("data-ready", "1");
})();
