"use strict";
(function () {
var NS = "http://www.w3.org/2000/svg";
var svg = document.documentElement, box = document.getElementById("frames");
var num = function (k) { return +box.getAttribute("data-" + k); };
var W = num("chart-width"), XPAD = num("xpad"), TOP = num("top"), FH = num("frame-height");
var MAXD = num("max-depth"), INV = num("inverted"), CW = num("char-width"), TOTAL = num("total");
// Frames deeper than CAP (0: none) wait, hidden, behind their tower's "more" box.
var CAP = num("depth-cap"), H0 = +svg.getAttribute("height"), FOOT = H0 - TOP - (MAXD + 1) * FH;
var header = document.getElementById("header"), footer = document.getElementById("footer");
var details = document.getElementById("details"), matched = document.getElementById("matched");
var resetBtn = document.getElementById("reset"), input = document.getElementById("search");
var bg = document.getElementById("background");
var frames = [], stack = [], zoomed = -1, query = "", rows = MAXD;
var gs = box.children;
for (var i = 0; i < gs.length; i++) {
  var g = gs[i], r = g.querySelector("rect"), t = g.querySelector("title").textContent;
  var row = Math.round((+r.getAttribute("y") - TOP) / FH), d = INV ? row : MAXD - row;
  if (g.classList.contains("more")) {  // follows the frame at depth CAP it stands on
    frames[frames.length - 1].more = { g: g, r: r, text: g.querySelector("text"), depth: d,
      name: t.slice(0, t.indexOf("]") + 1), fill: r.getAttribute("fill") };
    g.fgMore = frames.length - 1;
    continue;
  }
  var f = { g: g, r: r, text: g.querySelector("text"), name: t.slice(0, t.lastIndexOf(" (")),
            v: +g.getAttribute("data-v"), x: +r.getAttribute("x"), w: +r.getAttribute("width"),
            fill: r.getAttribute("fill"), depth: d, parent: d > 0 ? stack[d - 1] : -1, end: 0 };
  while (stack.length > d) frames[stack.pop()].end = frames.length;
  stack.push(frames.length);
  g.fgIndex = frames.length;
  frames.push(f);
}
while (stack.length) frames[stack.pop()].end = frames.length;
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
  f.g.style.display = shown ? "inline" : "none";  // "inline" wins over class "deep"
  if (!shown) return;
  f.r.setAttribute("x", x.toFixed(2));
  f.r.setAttribute("width", w.toFixed(2));
  f.g.classList.toggle("faded", faded);
  label(f, x, w);
}
function setY(f) {
  var y = INV ? TOP + f.depth * FH : TOP + (rows - f.depth) * FH;
  f.r.setAttribute("y", y);
  if (f.text) f.text.setAttribute("y", y + 11.5);
}
// The document is as tall as the deepest row shown: an opened tower makes it taller.
function relayout(n) {
  if (n === rows) return;
  rows = n;
  var h = TOP + (rows + 1) * FH + FOOT;
  svg.setAttribute("height", h);
  svg.setAttribute("viewBox", "0 0 " + svg.getAttribute("width") + " " + h);
  bg.setAttribute("height", h);
  for (var j = 0; j < frames.length; j++) {
    setY(frames[j]);
    if (frames[j].more) setY(frames[j].more);
  }
}
// Over a graph taller than the window the title, search box and details line
// stay in view.
function viewHeight() {  // without a horizontal scroll bar
  return window.visualViewport ? window.visualViewport.height : window.innerHeight;
}
function stick() {
  var y = window.scrollY || 0, h = +svg.getAttribute("height");
  header.setAttribute("transform", "translate(0," + Math.max(0, Math.min(y, h - TOP)) + ")");
  footer.setAttribute("transform", "translate(0," + (Math.min(h, y + viewHeight()) - H0) + ")");
}
// Scrolls frame i into view: for a flame graph just above the details line,
// the frames it calls above it; for an icicle graph just below the header.
function reveal(i) {
  var y = +frames[i].r.getAttribute("y");
  window.scrollTo(0, Math.max(0, INV ? y - TOP : y + FH + FOOT - viewHeight()));
  stick();
}
function render() {
  var z = zoomed > 0 ? frames[zoomed] : null, s = z ? W / z.w : 1, anc = {}, openEnd = -1;
  var top = 0, open = false, j, f, x, w, shown, faded;
  if (z) for (var p = z.parent; p >= 0; p = frames[p].parent) anc[p] = true;
  for (j = 0; j < frames.length; j++) {
    f = frames[j];
    f.vis = !CAP || f.depth <= CAP || j < openEnd;
    if (f.more && f.open) { openEnd = f.end; open = true; }
    if (f.vis) top = Math.max(top, f.more && !f.open ? f.more.depth : f.depth);
  }
  relayout(top);
  for (j = 0; j < frames.length; j++) {
    f = frames[j];
    x = f.x; w = f.w; shown = f.vis; faded = false;
    if (z) {
      if (j >= zoomed && j < z.end) { x = XPAD + (f.x - z.x) * s; w = f.w * s; }
      else if (anc[j]) { x = XPAD; w = W; faded = true; }
      else shown = false;
    }
    place(f, x, w, shown, faded);
    if (f.more) place(f.more, x, w, shown && !f.open, false);
  }
  resetBtn.style.display = z || open ? "" : "none";
  stick();
  return open;
}
function saveState() {
  var parts = [];
  if (query) parts.push("search=" + encodeURIComponent(query));
  if (zoomed > 0) parts.push("zoom=" + encodeURIComponent(frames[zoomed].name));
  try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname); } catch (e) { }
}
function zoom(i) {
  if (i <= 0) { reset(); return; }
  // A frame of a closed tower (#zoom= in the URL) opens it.
  for (var p = i; p >= 0; p = frames[p].parent) if (frames[p].more) frames[p].open = true;
  zoomed = i;
  render();
  saveState();
}
function expand(i) {
  frames[i].open = true;
  render();
  reveal(i);
}
function reset() {
  var wasOpen = false;
  for (var j = 0; j < frames.length; j++) {
    wasOpen = wasOpen || !!frames[j].open;
    frames[j].open = false;
  }
  zoomed = -1;
  render();
  if (wasOpen) reveal(0);
  saveState();
}
function search(q) {
  var re = null, sum = 0, skip = -1, j, k, f, hit;
  query = q;
  if (q) {
    try { re = new RegExp(q); } catch (e) { re = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")); }
  }
  for (j = 0; j < frames.length; j++) {
    f = frames[j];
    f.hit = !!re && j > 0 && re.test(f.name);
    f.r.setAttribute("fill", f.hit ? "rgb(230,0,230)" : f.fill);
    if (f.hit && j >= skip) { sum += f.v; skip = f.end; }
  }
  for (j = 0; j < frames.length; j++) {  // a closed tower shows that it holds a match
    if (!frames[j].more) continue;
    for (hit = false, k = j + 1; k < frames[j].end && !hit; k++) hit = frames[k].hit;
    frames[j].more.r.setAttribute("fill", hit ? "rgb(230,0,230)" : frames[j].more.fill);
  }
  matched.textContent = re ? "Matched: " + (TOTAL > 0 ? 100 * sum / TOTAL : 0).toFixed(2) + "%" : "";
  saveState();
}
box.addEventListener("click", function (e) {
  var g = e.target.closest("#frames > g");
  if (!g) return;
  if (g.fgMore !== undefined) expand(g.fgMore); else zoom(g.fgIndex);
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
window.addEventListener("scroll", stick);
window.addEventListener("resize", stick);
// Drawn after the frames, so frames scrolled under them stay hidden.
svg.appendChild(header);
svg.appendChild(footer);
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
// A browser shows a document's top, but a flame graph grows from the bottom:
// open on the root, where the widest frames are (and on a zoomed frame too
// far above it).
try { history.scrollRestoration = "manual"; } catch (e) { }
reveal(0);
if (zoomed > 0 && +frames[zoomed].r.getAttribute("y") < window.scrollY + TOP) reveal(zoomed);
document.documentElement.setAttribute("data-ready", "1");
})();
