/* page.js - the rhook report page: draws the inlined data (#rhook-data, written
 * by tools/rhook-read/report.c) with dygraphs.
 *
 * DOM convention for tests: every chart is a <div class="chart" data-chart=ID>;
 * after each draw it carries data-points=N (points, bars or span/marker
 * primitives actually drawn) and data-drawn=1. When every chart has drawn once,
 * <body> gets data-charts-ready=COUNT; on any failure it gets data-error=MSG
 * and the error is rethrown so that it reaches the console. */
(function () {
  'use strict';
  var app = document.getElementById('app');
  var charts = [], pending = 0, ready = false;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function add(parent, tag, attrs, text) { var e = el(tag, attrs, text); parent.appendChild(e); return e; }

  function fail(err) {
    document.body.setAttribute('data-error', String(err && err.message || err));
    var box = el('div', { 'class': 'error' }, 'The report could not be drawn: ' + (err && err.stack || err));
    app.insertBefore(box, app.firstChild);
    throw err;
  }

  if (typeof Dygraph === 'undefined') fail(new Error('the inlined dygraphs library is missing'));

  var D = JSON.parse(document.getElementById('rhook-data').textContent);

  /* ---------------------------------------------------------------- formats */
  function fmtNs(v) {
    if (v === null || v === undefined || isNaN(v)) return '';
    var a = Math.abs(v);
    if (a < 1e3) return v.toFixed(0) + ' ns';
    if (a < 1e6) return (v / 1e3).toPrecision(3) + ' µs';
    if (a < 1e9) return (v / 1e6).toPrecision(3) + ' ms';
    return (v / 1e9).toPrecision(3) + ' s';
  }
  function fmtBytes(v) {
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i ? v.toFixed(1) : v.toFixed(0)) + ' ' + u[i];
  }
  function fmtCount(v) { return v >= 1e6 ? (v / 1e6).toFixed(2) + ' M' : v >= 1e4 ? (v / 1e3).toFixed(1) + ' k' : String(Math.round(v)); }
  function fmtPct(x) { /* x = 1 / (1 - p) */
    var p = 100 * (1 - 1 / x);
    if (x <= 1.0000001) return '0%';
    var d = Math.max(0, Math.ceil(Math.log10(x)) - 2);
    return p.toFixed(Math.min(d, 4)) + '%';
  }
  function fmtT(s) { /* seconds since trace start */
    if (s < 0) s = 0;
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s - 60 * Math.floor(s / 60);
    var ss = (sec < 10 ? '0' : '') + sec.toFixed(sec % 1 ? 3 : 0);
    return (h ? h + ':' + (m < 10 ? '0' : '') : '') + m + ':' + ss;
  }
  function pctTicker(min, max) {
    var t = [];
    for (var v = 1; v <= 1e6; v *= 10)
      if (v >= min * 0.999 && v <= max * 1.001) t.push({ v: v, label: fmtPct(v) });
    return t;
  }
  var PALETTE = ['#0969da', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7c86', '#6e7781'];

  /* ---------------------------------------------------------------- chart helper */
  function chart(parent, id, title, hint, data, opts, countFn) {
    var card = add(parent, 'div', { 'class': 'card' });
    add(card, 'h3', null, title);
    if (hint) add(card, 'div', { 'class': 'hint' }, hint);
    var div = add(card, 'div', { 'class': 'chart', 'data-chart': id });
    if (opts.height) { div.style.height = opts.height + 'px'; delete opts.height; }
    var legend = add(card, 'div', { 'class': 'legend' });
    opts.labelsDiv = legend;
    var first = true;
    var userDraw = opts.drawCallback;
    opts.drawCallback = function (g, initial) {
      try {
        if (userDraw) userDraw(g, initial);
        div.setAttribute('data-points', String(countFn(g)));
        div.setAttribute('data-drawn', '1');
        if (first) {
          first = false;
          if (--pending === 0 && ready) document.body.setAttribute('data-charts-ready', String(charts.length));
        }
      } catch (e) { fail(e); }
    };
    pending++;
    var g = new Dygraph(div, data, opts);
    charts.push(g);
    return g;
  }
  function nonNull(data) {
    var n = 0;
    for (var i = 0; i < data.length; i++)
      for (var j = 1; j < data[i].length; j++) if (data[i][j] !== null) n++;
    return n;
  }

  try {
    /* ------------------------------------------------------------ header */
    var M = D.meta;
    add(app, 'h1', null, 'rhook report');
    add(app, 'div', { 'class': 'sub' }, 'What was traced: host ' + M.hosts.join(', ') + ' · ' + M.processes.length +
        ' process' + (M.processes.length === 1 ? '' : 'es') + ' · ' + M.regions + ' regions · ' + fmtT(M.span_s) +
        ' (m:s) of trace from ' + new Date(M.start_ns / 1e6).toISOString() + ' · ' + fmtCount(M.events) + ' events');
    var kv = add(app, 'table', { 'class': 'kv' });
    M.processes.forEach(function (p) {
      var tr = add(kv, 'tr');
      add(tr, 'td', null, p.host);
      add(tr, 'td', null, p.name + ' (pid ' + p.pid + ')');
      add(tr, 'td', null, p.threads + ' threads, ' + fmtCount(p.events) + ' events');
      add(tr, 'td', null, p.source + ': ' + p.origin);
    });
    if (D.loss) {
      var b = add(app, 'div', { 'class': 'banner', 'data-loss': String(D.loss.lost) });
      add(b, 'b', null, 'Incomplete trace: ' + fmtCount(D.loss.lost) + ' events lost. ');
      b.appendChild(document.createTextNode(D.loss.counters.map(function (c) {
        return c.process + ' (pid ' + c.pid + '), ' + c.name + ': ' + c.count;
      }).join('; ') + '. Complete: ' + D.loss.complete.map(function (w) {
        return w.process + ' (pid ' + w.pid + ') ' + (w.lossy ? 'lost events at unknown moments' :
          'from ' + fmtT(w.from) + ' to ' + fmtT(w.until));
      }).join('; ') + '. Counts and percentiles cover what was recorded only.'));
    }

    /* ------------------------------------------------------------ latency */
    add(app, 'h2', { id: 'latency' }, 'Latency per cause and phase');
    add(app, 'div', { 'class': 'hint' }, 'Percentile plots (HdrHistogram style): latency against percentile on a log(1/(1−p)) axis, ' +
        'from log-linear histograms (each value within 0.8 %; count and max exact). Drag to zoom, double-click to reset.');
    var grid = add(app, 'div', { 'class': 'grid' });
    D.pct.groups.forEach(function (grp) {
      var xs = D.pct.grid, data = [];
      for (var i = 0; i < xs.length; i++) {
        var row = [xs[i]];
        grp.series.forEach(function (s) { row.push(s.y[i]); });
        data.push(row);
      }
      chart(grid, 'pct:' + grp.id, grp.title + ' — percentiles', grp.series.map(function (s) { return s.name + ' n=' + s.n; }).join(', '),
        data, {
          labels: ['percentile'].concat(grp.series.map(function (s) { return s.name; })),
          colors: PALETTE, strokeWidth: 2, legend: 'always', labelsSeparateLines: false,
          axes: {
            x: { logscale: true, ticker: pctTicker, axisLabelFormatter: fmtPct, valueFormatter: fmtPct },
            y: { logscale: true, axisLabelFormatter: fmtNs, valueFormatter: fmtNs, axisLabelWidth: 64 }
          },
          xlabel: 'percentile', ylabel: 'latency'
        }, function () { return nonNull(data); });
    });
    D.hist.groups.forEach(function (grp) {
      var data = [];
      for (var i = 0; i < grp.edges.length; i++) {
        var row = [grp.edges[i]];
        grp.series.forEach(function (s) { var c = i < s.counts.length ? s.counts[i] : 0; row.push(c > 0 ? c : null); });
        data.push(row);
      }
      chart(grid, 'hist:' + grp.id, grp.title + ' — histogram', 'samples per bin (10 bins per decade, log axes)', data, {
        labels: ['latency'].concat(grp.series.map(function (s) { return s.name; })),
        colors: PALETTE, stepPlot: true, fillGraph: true, fillAlpha: 0.12, strokeWidth: 1.5, legend: 'always',
        axes: {
          x: { logscale: true, axisLabelFormatter: fmtNs, valueFormatter: fmtNs },
          y: { logscale: true, axisLabelFormatter: fmtCount, valueFormatter: fmtCount }
        },
        xlabel: 'latency', ylabel: 'samples'
      }, function () { return nonNull(data); });
    });
    var st = add(app, 'table');
    var hr = add(st, 'tr');
    ['phase', 'cause', 'count', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max'].forEach(function (h, i) { add(hr, 'th', i < 2 ? { 'class': 'l' } : null, h); });
    D.summary.forEach(function (r) {
      var tr = add(st, 'tr');
      add(tr, 'td', { 'class': 'l' }, r.group);
      add(tr, 'td', { 'class': 'l' }, r.name);
      add(tr, 'td', null, String(r.n));
      ['p50', 'p90', 'p99', 'p999', 'p9999', 'max'].forEach(function (k) { add(tr, 'td', null, fmtNs(r[k])); });
    });

    /* ------------------------------------------------------------ timeline */
    var T = D.timeline, R = T.rows.length;
    add(app, 'h2', { id: 'timeline' }, 'Timeline');
    var lg = add(app, 'div', { 'class': 'hint' });
    lg.appendChild(document.createTextNode('Per process and region: flush and compaction jobs as spans (one lane per concurrent job), ' +
        'commits and SST births as ticks. Downsampled to ' + fmtNs(T.res_ns) + ' resolution (' + T.total +
        ' primitives for ' + T.source + ' source items); drag to zoom (all time charts follow), double-click to reset.'));
    var KCOL = { 1: '#0969da', 2: '#9a6700', 4: '#8250df' }, MIXED = '#57606a';
    /* Tick kinds a row may have (r.m): commits and SST births; deletions once traces record them. */
    var MCOL = { commit: '#1d2433', born: '#1a7f37', deleted: '#d1242f' };
    [['flush', 1], ['compaction', 2], ['remote compaction', 4]].forEach(function (k) {
      add(lg, 'span', { 'class': 'swatch', style: 'background:' + KCOL[k[1]] });
      lg.appendChild(document.createTextNode(k[0]));
    });
    Object.keys(MCOL).forEach(function (k) {
      if (!T.rows.some(function (r) { return r.m && r.m[k]; })) return;
      add(lg, 'span', { 'class': 'swatch', style: 'background:' + MCOL[k] });
      lg.appendChild(document.createTextNode(k === 'commit' ? 'commit' : 'SST ' + k));
    });
    function lowerBound(a, v) { var lo = 0, hi = a.length; while (lo < hi) { var m = (lo + hi) >> 1; if (a[m] < v) lo = m + 1; else hi = m; } return lo; }
    var tlDrawn = 0;
    var tlData = [[T.t_min, -0.5], [T.t_max, R - 0.5]];
    var tlBox = add(app, 'div', { 'class': 'card' });
    var tl = chart(tlBox, 'timeline', 'Jobs, commits and SST files', null, tlData, {
      labels: ['time', 'rows'], height: Math.max(220, 18 * R + 70),
      strokeWidth: 0, drawPoints: false, highlightCircleSize: 0, legend: 'never', showLabelsOnHighlight: false,
      valueRange: [-0.5, R - 0.5],
      axes: {
        x: { axisLabelFormatter: fmtT, valueFormatter: fmtT },
        y: {
          axisLabelWidth: 210, drawGrid: false,
          ticker: function () { return T.rows.map(function (r, i) { return { v: R - 1 - i, label: r.name }; }); }
        }
      },
      zoomCallback: function (lo, hi, yr) {
        if (this.isZoomed('y')) this.updateOptions({ valueRange: [-0.5, R - 0.5] });
      },
      underlayCallback: function (ctx, area, g) {
        var xr = g.xAxisRange(), h = Math.max(4, (area.h / R) * 0.62), n = 0;
        ctx.save();
        ctx.beginPath(); ctx.rect(area.x, area.y, area.w, area.h); ctx.clip();
        for (var i = 0; i < R; i++) {
          var r = T.rows[i], yc = g.toDomYCoord(R - 1 - i);
          if (r.s) {
            var j = lowerBound(r.e, xr[0]), lastPx = -1;
            for (; j < r.s.length && r.s[j] <= xr[1]; j++) {
              var x0 = g.toDomXCoord(r.s[j]), x1 = g.toDomXCoord(r.e[j]);
              if (x1 - x0 < 1) { if (Math.floor(x0) === lastPx) continue; x1 = x0 + 1; }
              lastPx = Math.floor(x0);
              ctx.fillStyle = KCOL[r.k[j]] || MIXED;
              ctx.fillRect(x0, yc - h / 2, x1 - x0, h);
              n++;
            }
          }
          if (r.m) {
            Object.keys(MCOL).forEach(function (kind, o) {
              var t = r.m[kind]; if (!t) return;
              var k2 = lowerBound(t, xr[0]), lp = -1;
              ctx.fillStyle = MCOL[kind];
              for (; k2 < t.length && t[k2] <= xr[1]; k2++) {
                var x = Math.floor(g.toDomXCoord(t[k2]));
                if (x === lp) continue;
                lp = x;
                ctx.fillRect(x, yc - h / 2 + o * h / 3, 1, h / 3);
                n++;
              }
            });
          }
        }
        ctx.restore();
        tlDrawn = n;
      }
    }, function () { return tlDrawn; });

    /* ------------------------------------------------------------ time series */
    add(app, 'h2', { id: 'over-time' }, 'Over time');
    var S = D.series, tgrid = add(app, 'div', { 'class': 'grid' });
    function tsChart(id, title, hint, names, cols, yfmt) {
      var data = S.t.map(function (t, i) { return [t].concat(cols.map(function (c) { return c[i]; })); });
      return chart(tgrid, id, title, hint, data, {
        labels: ['time'].concat(names), colors: PALETTE, strokeWidth: 1.5, legend: 'always',
        axes: { x: { axisLabelFormatter: fmtT, valueFormatter: fmtT }, y: { axisLabelFormatter: yfmt, valueFormatter: yfmt, axisLabelWidth: 70 } }
      }, function () { return nonNull(data); });
    }
    var ts = [];
    ts.push(tsChart('ts:bytes', 'Bytes written per second', 'flush output and compaction output, per ' + fmtNs(S.bucket_ns) + ' bucket',
      ['flush', 'compaction'], [S.flush_bps, S.comp_bps], function (v) { return fmtBytes(v) + '/s'; }));
    ts.push(tsChart('ts:rows', 'Rows flushed per second', null, ['rows/s'], [S.rows_ps], fmtCount));
    ts.push(tsChart('ts:levels', 'Files per level (all regions)', 'live SST files after each committed manifest change (files the trace saw written)',
      S.levels.map(function (l, i) { return 'L' + i; }), S.levels, fmtCount));
    ts.push(tsChart('ts:level_bytes', 'Bytes per level (all regions)', 'bytes of the live SST files of each level',
      S.level_bytes.map(function (l, i) { return 'L' + i; }), S.level_bytes, fmtBytes));
    ts.push(tsChart('ts:l0', 'L0 backlog', 'L0 files: all regions, and the worst region', ['all regions', 'worst region'], [S.levels[0], S.l0_worst], fmtCount));
    ts.push(tsChart('ts:wamp', 'Write amplification (cumulative)', 'SST bytes written by flushes and compactions / SST bytes written by flushes', ['write amp'], [S.wamp],
      function (v) { return v.toFixed(2) + '×'; }));
    Dygraph.synchronize([tl].concat(ts), { zoom: true, selection: false, range: false });

    /* ------------------------------------------------------------ check, slowest */
    var C = D.checks, bad = C.rules.some(function (c) { return c.violations > 0; });
    add(app, 'h2', { id: 'check' }, 'check verdict: ' + (bad ? 'FAILED' : 'OK'));
    add(app, 'div', { 'class': 'hint' }, 'The hook contract verified from the trace alone (rhook-read check): ' + C.commits +
        ' commits (' + C.failed_commits + ' failed), ' + C.notifications + ' notifications, ' + C.ssts + ' SSTs; ' +
        C.reordered + ' commits emitted out of version order within the window, ' + C.abandoned +
        ' SSTs of failed jobs never added (expected).');
    var ct = add(app, 'table', { 'id': 'checks' });
    var h2 = add(ct, 'tr');
    ['rule', 'result', 'violations', 'unverifiable', 'examples'].forEach(function (h) { add(h2, 'th', { 'class': 'l' }, h); });
    C.rules.forEach(function (c) {
      var tr = add(ct, 'tr', { 'data-rule': c.rule, 'data-ok': String(c.violations === 0) });
      add(tr, 'td', { 'class': 'l' }, c.rule);
      add(tr, 'td', { 'class': 'l ' + (c.violations ? 'bad' : 'ok') }, c.violations ? 'FAILED' : 'ok');
      add(tr, 'td', null, String(c.violations));
      add(tr, 'td', null, String(c.unverifiable));
      add(tr, 'td', { 'class': 'l' }, c.examples.join('\n'));
    });
    function slowTable(title, rows, cols) {
      add(app, 'h3', null, title);
      var t = add(app, 'table');
      var h = add(t, 'tr');
      cols.forEach(function (c) { add(h, 'th', c[2] ? { 'class': 'l' } : null, c[0]); });
      rows.forEach(function (r) {
        var tr = add(t, 'tr');
        cols.forEach(function (c) { add(tr, 'td', c[2] ? { 'class': 'l' } : null, c[1](r)); });
      });
    }
    add(app, 'h2', { id: 'slowest' }, 'Slowest');
    slowTable('Slowest commits (lock wait + hold)', D.slow_commits, [
      ['at', function (r) { return fmtT(r.t); }], ['pid', function (r) { return String(r.pid); }],
      ['region', function (r) { return r.region; }, 1], ['version', function (r) { return String(r.version); }],
      ['cause', function (r) { return r.cause; }, 1], ['job #', function (r) { return String(r.job); }],
      ['wait', function (r) { return fmtNs(r.wait); }], ['hold', function (r) { return fmtNs(r.hold); }],
      ['persist', function (r) { return fmtNs(r.persist); }]]);
    slowTable('Slowest jobs', D.slow_jobs, [
      ['at', function (r) { return fmtT(r.t); }], ['pid', function (r) { return String(r.pid); }],
      ['job #', function (r) { return String(r.job); }], ['kind', function (r) { return r.kind; }, 1],
      ['region', function (r) { return r.region; }, 1], ['duration', function (r) { return fmtNs(r.dur); }],
      ['files out', function (r) { return String(r.files); }], ['bytes out', function (r) { return fmtBytes(r.bytes); }]]);

    ready = true;
    if (pending === 0) document.body.setAttribute('data-charts-ready', String(charts.length));
    /* The sections exist only now: honour a #fragment of the address. */
    if (location.hash && document.getElementById(location.hash.slice(1)))
      document.getElementById(location.hash.slice(1)).scrollIntoView();
    window.__rhook = { charts: charts, timeline: tl };
  } catch (e) {
    fail(e);
  }
})();
