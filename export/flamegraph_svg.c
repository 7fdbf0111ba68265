// SPDX-License-Identifier: MIT
/* flamegraph_svg: a frame tree -> a self-contained interactive SVG. Every byte
 * written is ASCII (non-ASCII as character references), so the file is
 * well-formed XML whatever the profile holds. The viewer's script and style
 * are export/flamegraph.js and export/flamegraph.css, embedded at build time
 * (the generated $(OUT)/export/flamegraph_assets.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "export/flamegraph_assets.h"
#include "export/flamegraph_limits.h"
#include "export/flamegraph_tree.h"

/* ---- layout constants (px) ---------------------------------------------- */

#define FG_XPAD		FLAMEGRAPH_SVG_XPAD
#define FG_FRAME_H	16
#define FG_HEADER	72
#define FG_FOOTER	30
#define FG_FONT		12
#define FG_CHAR_W	7.2	/* monospace 12px advance, used to fit labels */

/* Small float helpers: the build links no libm. */
static double dabs(double x)
{
	return x < 0 ? -x : x;
}

static int round_nonneg(double x)
{
	return x > 0 ? (int)(x + 0.5) : 0;
}

/* ---- text output helpers --------------------------------------------- */

/* Writes sanitized UTF-8 s as XML character data/attribute text, ASCII only.
 * At most maxcp characters: longer text is cut to maxcp - 2 and "..". */
static void put_xml(FILE *f, const char *s, size_t maxcp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t ncp = 0, i, len, n = strlen(s), limit;
	uint32_t cp;

	for (i = 0; i < n; i++)
		ncp += (u[i] & 0xc0) != 0x80;
	limit = ncp > maxcp ? (maxcp >= 2 ? maxcp - 2 : 0) : ncp;
	for (i = 0; i < n && limit; i += len, limit--) {
		len = utf8__decode(u + i, n - i, UTF8_XML, &cp);
		if (!len) {	/* cannot happen for interned names; stay safe anyway */
			len = 1;
			cp = 0xfffd;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				fputs("&#xfffd;", f);
			else if (cp < 0x80)
				fputc((int)cp, f);
			else
				fprintf(f, "&#x%" PRIx32 ";", cp);
		}
	}
	if (ncp > maxcp)
		fputs("..", f);
}

/* Writes raw (unsanitized) text, e.g. a title from the command line. */
static int put_xml_raw(FILE *f, const char *raw)
{
	size_t need = strlen(raw) * 3 + 1;
	char *buf = malloc(need);

	if (!buf)
		return -ENOMEM;
	utf8__sanitize(raw, buf, need, UTF8_XML);
	put_xml(f, buf, SIZE_MAX);
	free(buf);
	return 0;
}

static void fmt_int(int64_t v, char *buf, size_t len)
{
	char digits[32];
	size_t n, o = 0, i;
	int neg = v < 0;
	uint64_t u = neg ? -(uint64_t)v : (uint64_t)v;

	n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, u);
	if (neg && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 1 < len; i++) {
		buf[o++] = digits[i];
		if ((n - 1 - i) % 3 == 0 && i + 1 < n && o + 1 < len)
			buf[o++] = ',';
	}
	buf[o] = '\0';
}

/* Human-readable value in the profile's unit: "1.25 s", "3.0 MiB", "1,234 samples". */
static void fmt_value(const struct flamegraph_tree *fg, int64_t v, char *buf, size_t len)
{
	static const char *const bytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	char num[32];
	int i = 0;

	if (!strcmp(fg->unit, "nanoseconds")) {
		if (v >= 1000000000)
			snprintf(buf, len, "%.2f s", d / 1e9);
		else if (v >= 1000000)
			snprintf(buf, len, "%.2f ms", d / 1e6);
		else if (v >= 1000)
			snprintf(buf, len, "%.2f us", d / 1e3);
		else
			snprintf(buf, len, "%" PRId64 " ns", v);
		return;
	}
	if (!strcmp(fg->unit, "bytes") && v >= 1024) {
		while (d >= 1024 && i < 4) {
			d /= 1024;
			i++;
		}
		snprintf(buf, len, "%.2f %s", d, bytes[i]);
		return;
	}
	fmt_int(v, num, sizeof(num));
	if (!strcmp(fg->unit, "count") || !*fg->unit)
		snprintf(buf, len, "%s %s", num, *fg->type ? fg->type : "samples");
	else
		snprintf(buf, len, "%s %s", num, fg->unit);
}

static double pct(int64_t v, int64_t total)
{
	return total > 0 ? 100.0 * (double)v / (double)total : 0.0;
}

/* ---- colours ------------------------------------------------------------- */

static void hsl_rgb(double h, double s, double l, int rgb[3])
{
	double hp = (h >= 360 ? h - 360 : h) / 60, c = (1 - dabs(2 * l - 1)) * s;
	double x = c * (1 - dabs(hp - 2 * (int)(hp / 2) - 1)), m = l - c / 2, r = 0, g = 0, b = 0;

	if (hp < 1) { r = c; g = x; }
	else if (hp < 2) { r = x; g = c; }
	else if (hp < 3) { g = c; b = x; }
	else if (hp < 4) { g = x; b = c; }
	else if (hp < 5) { r = x; b = c; }
	else { r = c; b = x; }
	rgb[0] = round_nonneg((r + m) * 255);
	rgb[1] = round_nonneg((g + m) * 255);
	rgb[2] = round_nonneg((b + m) * 255);
}

/* Stable colour per (kind, name): the name's hash picks a shade inside the
 * kind's band, so one function keeps its colour across graphs. */
static void kind_color(enum flamegraph_kind kind, uint64_t name_hash, int rgb[3])
{
	uint64_t h = flamegraph_tree__mix(name_hash);	/* FNV's low bits vary too little */
	double v1 = (double)(h & 0xffff) / 65535.0;
	double v2 = (double)(h >> 16 & 0xffff) / 65535.0;
	double v3 = (double)(h >> 32 & 0xffff) / 65535.0;

	switch (kind) {
	case FLAMEGRAPH_KIND_KERNEL:	/* cool blue */
		hsl_rgb(195 + 25 * v1, 0.50 + 0.2 * v2, 0.62 + 0.1 * v3, rgb);
		break;
	case FLAMEGRAPH_KIND_JIT:	/* green */
		hsl_rgb(90 + 45 * v1, 0.50 + 0.2 * v2, 0.50 + 0.1 * v3, rgb);
		break;
	case FLAMEGRAPH_KIND_UNKNOWN:	/* grey */
		hsl_rgb(0, 0, 0.62 + 0.13 * v1, rgb);
		break;
	case FLAMEGRAPH_KIND_PYTHON:	/* teal, apart from JIT green and kernel blue */
		hsl_rgb(165 + 20 * v1, 0.55 + 0.2 * v2, 0.52 + 0.1 * v3, rgb);
		break;
	case FLAMEGRAPH_KIND_GROUP:	/* pale violet */
		hsl_rgb(262 + 20 * v1, 0.30, 0.74 + 0.06 * v2, rgb);
		break;
	default:			/* user native: hot red to yellow */
		hsl_rgb(2 + 48 * v1, 0.78 + 0.17 * v2, 0.55 + 0.08 * v3, rgb);
		break;
	}
}

static const char *const kind_names[FLAMEGRAPH_KIND__COUNT] = {
	[FLAMEGRAPH_KIND_USER] = "user",
	[FLAMEGRAPH_KIND_KERNEL] = "kernel",
	[FLAMEGRAPH_KIND_JIT] = "JIT",
	[FLAMEGRAPH_KIND_UNKNOWN] = "unknown",
	[FLAMEGRAPH_KIND_GROUP] = "group",
	[FLAMEGRAPH_KIND_PYTHON] = "Python",
};

/* ---- SVG ----------------------------------------------------------------- */

struct svg {
	FILE *f;
	double ppu, scale;	/* scale: base -> this profile's total */
	uint32_t maxdepth;	/* of the frames written */
	uint32_t cap;		/* depth of the frames shown before a click; no frame
				 * is deeper than FLAMEGRAPH_MAX_DEPTH */
	uint32_t rows;		/* depth of the top row drawn: a tower above cap gets one
				 * row for its "[+N more frames]" box */
	/* Towers above cap, in walk order: the depth of each one's deepest frame,
	 * found by svg__measure() for the box svg__frame() writes. */
	uint32_t *tower_top;
	size_t ntowers, towers_cap, tower_next;
	uint32_t tower_base;	/* the node at depth cap under the current tower */
	double maxdelta;
	bool diff;
};

static double node_delta(const struct svg *svg, const struct flamegraph_node *n)
{
	return (double)n->value - (double)n->base * svg->scale;
}

static int svg__measure(struct flamegraph_tree *fg, uint32_t idx, void *ctx)
{
	struct svg *svg = ctx;
	const struct flamegraph_node *n = &fg->nodes[idx];

	if (n->depth > svg->maxdepth)
		svg->maxdepth = n->depth;
	if (n->depth > svg->cap) {
		/* Pre-order: a tower's frames follow its base node unbroken. */
		if (n->depth == svg->cap + 1 && n->parent != svg->tower_base) {
			if (VEC_RESERVE(svg->tower_top, svg->ntowers, svg->towers_cap, 1))
				return -ENOMEM;
			svg->tower_top[svg->ntowers++] = n->depth;
			svg->tower_base = n->parent;
		}
		if (n->depth > svg->tower_top[svg->ntowers - 1])
			svg->tower_top[svg->ntowers - 1] = n->depth;
	}
	if (idx)
		fg->kinds_seen |= 1u << n->kind;
	if (svg->diff && idx && dabs(node_delta(svg, n)) > svg->maxdelta)
		svg->maxdelta = dabs(node_delta(svg, n));
	return 0;
}

static double svg__y(const struct flamegraph_tree *fg, const struct svg *svg, uint32_t depth)
{
	if (fg->opts->inverted)
		return FG_HEADER + (double)depth * FG_FRAME_H;
	return FG_HEADER + ((double)svg->rows - depth) * FG_FRAME_H;
}

/* The box that stands for the tower above node base until it is clicked (the
 * viewer then shows the tower's frames, written hidden after it). */
static void svg__more(struct flamegraph_tree *fg, struct svg *svg, uint32_t base)
{
	const struct flamegraph_node *n = &fg->nodes[base];
	double x = FG_XPAD + (double)n->off * svg->ppu, w = (double)n->value * svg->ppu;
	double y = svg__y(fg, svg, svg->cap + 1);
	uint32_t more = svg->tower_top[svg->tower_next++] - svg->cap;
	char label[48];

	snprintf(label, sizeof(label), "[+%" PRIu32 " more frame%s]", more, more == 1 ? "" : "s");
	fprintf(svg->f, "<g class=\"more\"><title>%s: click to show them</title><rect x=\"%.2f\" "
		"y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"rgb(236,236,230)\"/>",
		label, x, y, w, FG_FRAME_H - 1);
	if ((w - 6) / FG_CHAR_W >= 3) {
		fprintf(svg->f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 11.5);
		put_xml(svg->f, label, (size_t)((w - 6) / FG_CHAR_W));
		fputs("</text>", svg->f);
	}
	fputs("</g>\n", svg->f);
}

static int svg__frame(struct flamegraph_tree *fg, uint32_t idx, void *ctx)
{
	struct svg *svg = ctx;
	const struct flamegraph_node *n = &fg->nodes[idx];
	const char *name = fg->names.str[n->name];
	double x = FG_XPAD + (double)n->off * svg->ppu, w = (double)n->value * svg->ppu;
	double y = svg__y(fg, svg, n->depth), fit;
	char val[64];
	int rgb[3];

	if (!idx)
		w = fg->opts->width - 2.0 * FG_XPAD;	/* the root spans the chart, even empty */
	if (svg->diff) {
		double d = node_delta(svg, n), r = svg->maxdelta > 0 ? dabs(d) / svg->maxdelta : 0;
		int k = round_nonneg(r * 210);

		if (d > 0) {
			rgb[0] = 255; rgb[1] = 255 - k; rgb[2] = 255 - k;
		} else {
			rgb[0] = 255 - k; rgb[1] = 255 - k; rgb[2] = 255;
		}
	} else {
		kind_color(n->kind, fg->names.hash[n->name], rgb);
	}
	fmt_value(fg, n->value, val, sizeof(val));
	if (n->depth == svg->cap + 1 && n->parent != svg->tower_base) {
		svg__more(fg, svg, n->parent);
		svg->tower_base = n->parent;
	}
	fprintf(svg->f, "<g data-v=\"%" PRId64 "\"", n->value);
	if (n->depth > svg->cap)	/* hidden until its tower's box is clicked */
		fputs(" class=\"deep\"", svg->f);
	if (svg->diff)
		fprintf(svg->f, " data-b=\"%.0f\"", (double)n->base * svg->scale);
	fputs("><title>", svg->f);
	put_xml(svg->f, name, FLAMEGRAPH_MAX_NAME);
	fprintf(svg->f, " (%s, %.2f%%", val, pct(n->value, fg->total));
	if (svg->diff)
		fprintf(svg->f, "; base %.2f%%; %+.2f%%", pct(n->base, fg->base_total),
			pct(n->value, fg->total) - pct(n->base, fg->base_total));
	fprintf(svg->f, ")</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
		"fill=\"rgb(%d,%d,%d)\"/>", x, y, w, FG_FRAME_H - 1, rgb[0], rgb[1], rgb[2]);
	fit = (w - 6) / FG_CHAR_W;
	if (fit >= 3) {
		fprintf(svg->f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 11.5);
		put_xml(svg->f, name, (size_t)fit);
		fputs("</text>", svg->f);
	}
	fputs("</g>\n", svg->f);
	return 0;
}

static int svg__header(struct flamegraph_tree *fg, struct svg *svg, unsigned int height)
{
	const struct flamegraph_opts *o = fg->opts;
	unsigned int w = o->width;
	const char *title = o->title;
	char val[64];
	double lx = FG_XPAD;
	int rgb[3], err;

	if (!title)	/* off_cpu: cprof's off-CPU time, titled as Gregg's graphs are */
		title = o->diff_base ? "Differential Flame Graph" :
			o->inverted ? "Icicle Graph" :
			fg->type && !strcmp(fg->type, "off_cpu") ? "Off-CPU Time Flame Graph" :
			"Flame Graph";
	fprintf(svg->f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\"%s>\n"
		"<!-- Flame graph drawn by cprof: frame width is proportional to the sample "
		"value. Click to zoom, Ctrl+F to search, Escape to reset. -->\n"
		"<style>\n%s</style>\n"
		"<rect id=\"background\" class=\"bg\" x=\"0\" y=\"0\" width=\"%u\" height=\"%u\"/>\n"
		/* header and footer have a background of their own: the viewer
		 * keeps them in the window over a graph taller than it */
		"<g id=\"header\"><rect class=\"bg\" x=\"0\" y=\"0\" width=\"%u\" height=\"%d\"/>\n"
		"<text id=\"title\" x=\"%.1f\" y=\"22\">",
		w, height, w, height, svg->diff ? " class=\"diff\"" : "", flamegraph_css,
		w, height, w, FG_HEADER - 4, w / 2.0);
	err = put_xml_raw(svg->f, title);
	if (err)
		return err;
	fmt_value(fg, fg->total, val, sizeof(val));
	fprintf(svg->f, "</text>\n<text id=\"subtitle\" x=\"%.1f\" y=\"40\">", w / 2.0);
	put_xml(svg->f, fg->type, SIZE_MAX);
	if (*fg->unit) {
		fputs(" (", svg->f);
		put_xml(svg->f, fg->unit, SIZE_MAX);
		fputs(")", svg->f);
	}
	fputs(", total ", svg->f);
	put_xml(svg->f, val, SIZE_MAX);
	if (o->focus) {
		fputs(", focus ", svg->f);
		err = put_xml_raw(svg->f, o->focus);
		if (err)
			return err;
	}
	if (svg->diff) {
		fputs(", compared with ", svg->f);
		err = put_xml_raw(svg->f, o->diff_base_name ? o->diff_base_name : "base");
		if (err)
			return err;
		fputs(": red grew, blue shrank (normalised to totals)", svg->f);
	}
	if (o->inverted)
		fputs(", inverted: leaves on top", svg->f);
	fprintf(svg->f, "</text>\n<text id=\"reset\" x=\"%d\" y=\"22\">Reset Zoom</text>\n"
		"<foreignObject x=\"%u\" y=\"6\" width=\"250\" height=\"26\">"
		"<input xmlns=\"http://www.w3.org/1999/xhtml\" id=\"search\" type=\"search\" "
		"placeholder=\"Search (regex), Ctrl+F\" spellcheck=\"false\"/></foreignObject>\n"
		"<g id=\"legend\">", FG_XPAD, w > 260 + FG_XPAD ? w - 250 - FG_XPAD : 0);
	for (int k = 0; k < FLAMEGRAPH_KIND__COUNT && !svg->diff; k++) {
		if (k == FLAMEGRAPH_KIND_GROUP || !(fg->kinds_seen & (1u << k)))
			continue;
		kind_color(k, 0x7fff7fff7fffULL, rgb);
		fprintf(svg->f, "<rect x=\"%.0f\" y=\"52\" width=\"10\" height=\"10\" "
			"fill=\"rgb(%d,%d,%d)\"/><text x=\"%.0f\" y=\"61\">%s</text>",
			lx, rgb[0], rgb[1], rgb[2], lx + 14, kind_names[k]);
		lx += 14 + FG_CHAR_W * (strlen(kind_names[k]) + 2);
	}
	if (svg->diff)
		fprintf(svg->f, "<rect x=\"%d\" y=\"52\" width=\"10\" height=\"10\" "
			"fill=\"rgb(255,60,60)\"/><text x=\"%d\" y=\"61\">grew</text>"
			"<rect x=\"%d\" y=\"52\" width=\"10\" height=\"10\" fill=\"rgb(60,60,255)\"/>"
			"<text x=\"%d\" y=\"61\">shrank</text>",
			FG_XPAD, FG_XPAD + 14, FG_XPAD + 60, FG_XPAD + 74);
	fprintf(svg->f, "</g></g>\n<g id=\"footer\"><rect class=\"bg\" x=\"0\" y=\"%u\" "
		"width=\"%u\" height=\"%d\"/>\n<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n"
		"<text id=\"matched\" x=\"%u\" y=\"%u\"></text></g>\n",
		height - FG_FOOTER + 2, w, FG_FOOTER - 2, FG_XPAD, height - 10, w - FG_XPAD,
		height - 10);
	if (!fg->total)
		fprintf(svg->f, "<text x=\"%.1f\" y=\"%d\" style=\"text-anchor: middle\">"
			"no samples</text>\n", w / 2.0, FG_HEADER - 4);
	fprintf(svg->f, "<g id=\"frames\" data-total=\"%" PRId64 "\" data-chart-width=\"%u\" "
		"data-xpad=\"%d\" data-top=\"%d\" data-frame-height=\"%d\" data-max-depth=\"%u\" "
		"data-depth-cap=\"%u\" data-inverted=\"%d\" data-char-width=\"%.1f\">\n",
		fg->total, w - 2 * FG_XPAD, FG_XPAD, FG_HEADER, FG_FRAME_H, svg->rows,
		svg->rows > svg->cap ? svg->cap : 0, o->inverted ? 1 : 0, FG_CHAR_W);
	return 0;
}

struct svg_size {
	struct flamegraph_tree *fg;
	double ppu;
	uint64_t bytes, frames;
};

static int svg__count(struct flamegraph_tree *fg, uint32_t idx, void *ctx)
{
	struct svg_size *sz = ctx;

	sz->bytes += flamegraph_limits__svg_frame_bytes(strlen(fg->names.str[fg->nodes[idx].name]));
	sz->frames++;
	return 0;
}

/* Estimated bytes of the frames kept at minwidth (the header and script are
 * under 16 KiB). */
static uint64_t svg__size_at(double minwidth, void *ctx)
{
	struct svg_size *sz = ctx;
	struct flamegraph_walk w = { .ppu = sz->ppu, .minwidth = minwidth, .visit = svg__count,
				     .ctx = sz };

	sz->bytes = 16384;
	sz->frames = 0;
	flamegraph_tree__walk(sz->fg, &w);
	return sz->bytes;
}

int flamegraph_svg__write(struct flamegraph_tree *fg, FILE *out)
{
	struct svg svg = { .f = out, .diff = fg->opts->diff_base != NULL,
			   .cap = fg->opts->max_depth ? fg->opts->max_depth : FLAMEGRAPH_MAX_DEPTH };
	struct flamegraph_walk w = { .minwidth = fg->opts->minwidth, .ctx = &svg };
	struct svg_size sz = { 0 };
	unsigned int height;
	int err;

	svg.ppu = fg->total > 0 ? (fg->opts->width - 2.0 * FG_XPAD) / (double)fg->total : 0;
	svg.scale = fg->base_total > 0 ? (double)fg->total / (double)fg->base_total : 0;
	w.ppu = svg.ppu;
	/* Over the output cap (a --minwidth 0 on 300k stacks, a crafted input):
	 * leave out more of the narrowest frames rather than write gigabytes. */
	sz.fg = fg;
	sz.ppu = svg.ppu;
	fg->minwidth = flamegraph_limits__fit_minwidth(fg->opts->minwidth, fg->opts->width,
						       fg->max_output, svg__size_at, &sz,
						       &fg->est_bytes);
	fg->frames_out = sz.frames;
	w.minwidth = fg->minwidth;
	w.visit = svg__measure;
	err = flamegraph_tree__walk(fg, &w);
	if (err)
		goto out;
	svg.rows = svg.maxdepth > svg.cap ? svg.cap + 1 : svg.maxdepth;
	height = FG_HEADER + (svg.rows + 1) * FG_FRAME_H + FG_FOOTER;
	err = svg__header(fg, &svg, height);
	if (err)
		goto out;
	svg.tower_base = 0;
	w.visit = svg__frame;
	err = flamegraph_tree__walk(fg, &w);
	if (err)
		goto out;
	/* The script comes last: it reads the frames back from the DOM. */
	fprintf(out, "</g>\n<script type=\"text/javascript\"><![CDATA[\n%s]]></script>\n</svg>\n",
		flamegraph_js);
out:
	free(svg.tower_top);
	return err;
}

