// banscope's report page: tooltips, a brushable timeline whose selection
// the tables follow, sortable and filterable tables, an address's own
// timeline. Inline, allowed by the page's Content Security Policy through
// its hash only; it fetches nothing. Without it the page shows everything.
(function () {
  'use strict';
  var node = document.getElementById('banscope-data');
  if (!node) { return; }
  var data = JSON.parse(node.textContent);
  var SVG = 'http://www.w3.org/2000/svg';

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  // a time in the report's zone (its offset at the period's start)
  function when(s) {
    var d = new Date((s + data.zone) * 1000); // data.zone: the report's offset
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }
  function dur(s) {
    if (s < 0) { return 'permanent'; }
    s = Math.round(s);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), x = s % 60, out = [];
    if (d) { out.push(d + 'd'); }
    if (h) { out.push(h + 'h'); }
    if (m) { out.push(m + 'm'); }
    if (x || !out.length) { out.push(x + 's'); }
    return out.join(' ');
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, attrs[k]); } }
    return e;
  }

  // Tooltips: the charts' <title>s become data-tip, shown beside the pointer.
  var tip = el('div', { id: 'tip', role: 'tooltip' });
  document.body.appendChild(tip);
  Array.prototype.forEach.call(document.querySelectorAll('svg rect, svg path'), function (r) {
    var t = r.querySelector('title');
    if (t) { r.setAttribute('data-tip', t.textContent); r.removeChild(t); }
  });
  document.addEventListener('pointermove', function (ev) {
    var t = ev.target.closest ? ev.target.closest('[data-tip]') : null;
    if (!t) { tip.style.display = 'none'; return; }
    tip.textContent = t.getAttribute('data-tip');
    tip.style.display = 'block';
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) { x = ev.clientX - tip.offsetWidth - 8; }
    if (y + tip.offsetHeight > window.innerHeight) { y = ev.clientY - tip.offsetHeight - 8; }
    tip.style.left = Math.max(0, x) + 'px';
    tip.style.top = Math.max(0, y) + 'px';
  });

  // Sortable, filterable tables.
  function cellKey(td) {
    var v = td.getAttribute('data-v');
    if (v !== null) { return parseFloat(v); }
    var t = td.textContent.trim();
    if (/^[≤≈]?-?[0-9][0-9.]*$/.test(t)) { return parseFloat(t.replace(/^[≤≈]/, '')); }
    return t.toLowerCase();
  }
  function sortable(tb) {
    var head = tb.rows[0];
    Array.prototype.forEach.call(head.cells, function (th, i) {
      th.tabIndex = 0;
      th.setAttribute('aria-sort', 'none');
      th.title = 'sort';
      var sort = function () {
        var desc = th.getAttribute('aria-sort') !== 'descending';
        Array.prototype.forEach.call(head.cells, function (o) { o.setAttribute('aria-sort', 'none'); });
        th.setAttribute('aria-sort', desc ? 'descending' : 'ascending');
        var rows = Array.prototype.slice.call(tb.rows, 1);
        rows.sort(function (a, b) {
          var x = cellKey(a.cells[i]), y = cellKey(b.cells[i]);
          var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1);
          return desc ? -c : c;
        });
        rows.forEach(function (r) { r.parentNode.appendChild(r); });
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); sort(); } });
    });
    var f = el('input', { type: 'search', 'class': 'filter', placeholder: 'filter: address, country, user, jail…', 'aria-label': 'filter ' + (tb.getAttribute('data-name') || 'rows') });
    var box = tb.closest('.scroll') || tb;
    box.parentNode.insertBefore(f, box);
    f.addEventListener('input', function () {
      var q = f.value.trim().toLowerCase();
      Array.prototype.forEach.call(tb.rows, function (r, k) {
        if (k > 0) { r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) < 0; }
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), sortable);

  // Each host's part of the page has its own data and elements (ids
  // end in -<host index>).
  function host(data, sfx) {
    // The selection: brushing the failures chart picks a period; the zoomed
    // chart, the summary and the bans table follow it.
    var chart = document.getElementById('fail-chart' + sfx);
    var sel = null; // [from, to) in Unix seconds
    var summary = document.getElementById('selection' + sfx);
    var bansTable = document.getElementById('bans-sel' + sfx);
    var zoom = document.getElementById('zoom' + sfx);

    function inSel(t0, t1) { return !sel || (t0 < sel[1] && t1 > sel[0]); }

    function drawBans() {
      if (!bansTable) { return; }
      while (bansTable.rows.length > 1) { bansTable.deleteRow(1); }
      var shown = 0, total = 0;
      data.bans.forEach(function (b) {
        var end = b.e < 0 ? Infinity : b.e;
        if (!inSel(b.s, end)) { return; }
        total++;
        if (shown === 200) { return; }
        shown++;
        var tr = bansTable.insertRow(-1);
        var ip = tr.insertCell(-1);
        ip.className = 'name';
        var a = el('button', { type: 'button', 'class': 'ip', 'data-ip': b.ip }, b.ip);
        ip.appendChild(a);
        tr.insertCell(-1).textContent = b.jail;
        tr.insertCell(-1).textContent = when(b.s);
        var d = tr.insertCell(-1);
        d.className = 'n';
        d.setAttribute('data-v', b.e < 0 ? 1e18 : b.e - b.s);
        d.textContent = b.e < 0 ? 'permanent' : dur(b.e - b.s);
        var p = tr.insertCell(-1);
        p.className = 'n';
        p.textContent = b.p;
        tr.insertCell(-1).textContent = b.still ? 'banned' : '';
      });
      var note = document.getElementById('bans-sel-note' + sfx);
      if (note) {
        note.textContent = (sel ? 'bans in force in the selected period: ' : 'all bans: ') + total +
          (total > shown ? ' (the first ' + shown + ' shown)' : '') + (data.bansOmitted ? '; ' + data.bansOmitted + ' older bans are not in this page' : '');
      }
    }

    function drawZoom() {
      if (!zoom) { return; }
      while (zoom.firstChild) { zoom.removeChild(zoom.firstChild); }
      if (!sel) { zoom.setAttribute('hidden', ''); return; }
      zoom.removeAttribute('hidden');
      var pts = data.fine.filter(function (p) { return p[0] + data.fineStep > sel[0] && p[0] < sel[1]; });
      var W = 720, H = 160, L = 48, R = 12, T = 10, B = 24;
      var top = 1;
      pts.forEach(function (p) { top = Math.max(top, p[1]); });
      var bw = (W - L - R) / Math.max(pts.length, 1);
      var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'failures in the selected period' });
      svg.appendChild(svgEl('line', { 'class': 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
      pts.forEach(function (p, i) {
        if (!p[1]) { return; }
        var h = p[1] / top * (H - T - B);
        svg.appendChild(svgEl('rect', { 'class': 'bar', x: L + i * bw, y: H - B - h, width: Math.max(bw - 0.5, 0.6), height: h,
          'data-tip': when(p[0]) + ': ' + p[1] + ' failures, ' + p[2] + ' bans, ' + p[3] + ' in force' }));
      });
      var lab = svgEl('text', { x: L, y: H - 6 });
      lab.textContent = when(sel[0]);
      svg.appendChild(lab);
      var lab2 = svgEl('text', { x: W - R, y: H - 6, 'text-anchor': 'end' });
      lab2.textContent = when(sel[1]);
      svg.appendChild(lab2);
      var lab3 = svgEl('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' });
      lab3.textContent = String(top);
      svg.appendChild(lab3);
      zoom.appendChild(svg);
    }

    function drawSummary() {
      if (!summary) { return; }
      if (!sel) { summary.textContent = 'Drag across the failures chart to select a period.'; return; }
      var f = 0, b = 0, n = 0;
      data.fine.forEach(function (p) {
        if (p[0] + data.fineStep > sel[0] && p[0] < sel[1]) { f += p[1]; b += p[2]; n = Math.max(n, p[3]); }
      });
      summary.textContent = 'Selected ' + when(sel[0]) + ' – ' + when(sel[1]) + ' (' + dur(sel[1] - sel[0]) + '): ' +
        f + ' failures, ' + b + ' bans, at most ' + n + ' in force. ';
      var reset = el('button', { type: 'button', id: 'reset' + sfx }, 'whole period');
      reset.addEventListener('click', function () { select(null); });
      summary.appendChild(reset);
    }

    // The top tables follow the selection, from each hour's top lists
    // (by the hour; the whole period's counters count each key by the
    // hour from when it took its counter: ≤ marks a key whose earlier
    // failures the counter does not know).
    var tables = [
      { id: 'top-ips', key: 'ips', note: 'the whole period; an address\'s bans: click it' },
      { id: 'users', key: 'users', note: 'the whole period' }
    ].map(function (d) {
      var tb = document.getElementById(d.id + sfx);
      var saved = tb ? Array.prototype.slice.call(tb.rows, 1) : [];
      return { tb: tb, key: d.key, note: document.getElementById(d.id + '-note' + sfx), whole: d.note, saved: saved };
    });
    function inHours() {
      var hs = data.hours.filter(function (h) { return h.t < sel[1] && h.t + 3600 > sel[0]; });
      return hs;
    }
    function drawTops() {
      tables.forEach(function (t) {
        if (!t.tb) { return; }
        while (t.tb.rows.length > 1) { t.tb.deleteRow(1); }
        if (!sel) {
          t.saved.forEach(function (r) { t.tb.tBodies[0].appendChild(r); });
          if (t.note) { t.note.textContent = t.whole; }
          return;
        }
        var sum = {}, err = {};
        var hs = inHours();
        hs.forEach(function (h) {
          h[t.key].forEach(function (e) { sum[e[0]] = (sum[e[0]] || 0) + e[1]; err[e[0]] = (err[e[0]] || 0) + e[2]; });
        });
        var keys = Object.keys(sum).sort(function (a, b) { return sum[b] - sum[a] || (a < b ? -1 : 1); }).slice(0, t.saved.length || 10);
        keys.forEach(function (k, i) {
          var tr = t.tb.tBodies[0].insertRow(-1);
          if (t.key === 'ips') {
            var c = tr.insertCell(-1); c.className = 'n'; c.textContent = i + 1;
            var ip = tr.insertCell(-1); ip.className = 'name';
            ip.appendChild(el('span', { 'data-ip': k }, k));
            tr.insertCell(-1).textContent = data.country[k] || '';
            var f = tr.insertCell(-1); f.className = 'n'; f.setAttribute('data-v', sum[k]); f.textContent = (err[k] ? '≤' : '') + sum[k];
            var bans = data.bans.filter(function (b) { return b.ip === k && b.s >= sel[0] && b.s < sel[1]; });
            var banned = 0;
            data.bans.forEach(function (b) {
              if (b.ip !== k) { return; }
              var e = b.e < 0 ? sel[1] : Math.min(b.e, sel[1]), s0 = Math.max(b.s, sel[0]);
              if (e > s0) { banned += e - s0; }
            });
            var bc = tr.insertCell(-1); bc.className = 'n'; bc.textContent = bans.length;
            var tb2 = tr.insertCell(-1); tb2.className = 'n'; tb2.setAttribute('data-v', banned); tb2.textContent = banned ? dur(banned) : '-';
            tr.insertCell(-1).textContent = data.bans.some(function (b) { return b.ip === k && b.still; }) ? 'banned' : '';
          } else {
            var u = tr.insertCell(-1); u.className = 'name'; u.textContent = k;
            var n = tr.insertCell(-1); n.className = 'n'; n.textContent = (err[k] ? '≤' : '') + sum[k];
            tr.insertCell(-1);
          }
        });
        if (t.note) {
          t.note.textContent = hs.length ? 'in the selected period, by the hour: the ' + hs.length + ' hour(s) ' + when(hs[0].t) + ' – ' +
            when(hs[hs.length - 1].t + 3600) + ' it touches' + (data.hoursCut ? ' (the page carries the first 744 hours only)' : '') :
            'in the selected period: no failure';
          t.note.setAttribute('data-from', hs.length ? hs[0].t : 0);
          t.note.setAttribute('data-to', hs.length ? hs[hs.length - 1].t + 3600 : 0);
        }
      });
    }

    // The countries list and the map follow too, from every country's
    // failures by the hour.
    var clist = document.getElementById('countries' + sfx);
    var cnote = document.getElementById('countries-note' + sfx);
    var cwhole = cnote ? cnote.textContent : '';
    var csaved = clist ? Array.prototype.slice.call(clist.children) : [];
    var paths = Array.prototype.slice.call(document.querySelectorAll('#map' + sfx + ' path'));
    paths.forEach(function (p) { p._fill = p.getAttribute('fill'); p._tip = p.getAttribute('data-tip'); });
    function drawCountries() {
      if (!clist) { return; }
      while (clist.firstChild) { clist.removeChild(clist.firstChild); }
      if (!sel) {
        csaved.forEach(function (c) { clist.appendChild(c); });
        if (cnote) { cnote.textContent = cwhole; }
        paths.forEach(function (p) {
          if (p._fill) { p.setAttribute('fill', p._fill); } else { p.removeAttribute('fill'); }
          p.setAttribute('data-tip', p._tip);
        });
        return;
      }
      var sum = {};
      inHours().forEach(function (h) { h.countries.forEach(function (e) { sum[e[0]] = (sum[e[0]] || 0) + e[1]; }); });
      var codes = Object.keys(sum).sort(function (a, b) { return sum[b] - sum[a] || (a < b ? -1 : 1); });
      var top = codes.length ? sum[codes[0]] : 0;
      codes.slice(0, 15).forEach(function (c) {
        var row = el('div', { 'class': 'hbar' });
        row.appendChild(el('span', { 'class': 'label' }, c + ' ' + (data.names[c] || '')));
        var track = el('span', { 'class': 'track' });
        var fill = el('span', { 'class': 'fill' });
        fill.style.display = 'block';
        fill.style.width = (top ? Math.max(1, Math.round(sum[c] / top * 100)) : 0) + '%';
        track.appendChild(fill);
        row.appendChild(track);
        row.appendChild(el('span', { 'class': 'v' }, String(sum[c])));
        clist.appendChild(row);
      });
      var mtop = 0;
      codes.forEach(function (c) { if (c !== 'ZZ') { mtop = Math.max(mtop, sum[c]); } });
      paths.forEach(function (p) {
        var c = p.getAttribute('data-country'), n = sum[c] || 0;
        var name = (p._tip || c).replace(/:.*$/, '');
        if (n > 0 && mtop > 0) {
          var f = Math.log(1 + n) / Math.log(1 + mtop);
          p.setAttribute('fill', 'rgb(' + (253 - Math.round(61 * f)) + ',' + (220 - Math.round(163 * f)) + ',' + (190 - Math.round(147 * f)) + ')');
          p.setAttribute('data-tip', name + ': ' + n + ' failures in the selection');
        } else {
          p.removeAttribute('fill');
          p.setAttribute('data-tip', name + ': no failure in the selection');
        }
      });
      if (cnote) { cnote.textContent = 'failures by country in the selected period, by the hours it touches'; }
    }

    function select(s) {
      sel = s;
      drawTops();
      drawCountries();
      var r = document.getElementById('brush' + sfx);
      if (!sel && r) { r.setAttribute('width', 0); }
      drawSummary();
      drawZoom();
      drawBans();
    }

    if (chart && data.chart) {
      var c = data.chart;
      var brush = svgEl('rect', { id: 'brush' + sfx, 'class': 'brush', x: c.x0, y: 0, width: 0, height: c.h });
      chart.appendChild(brush);
      var toX = function (ev) {
        var pt = chart.createSVGPoint();
        pt.x = ev.clientX; pt.y = ev.clientY;
        var m = chart.getScreenCTM();
        var x = m ? pt.matrixTransform(m.inverse()).x : c.x0;
        return Math.min(Math.max(x, c.x0), c.x1);
      };
      var toT = function (x) { return c.t0 + (x - c.x0) / (c.x1 - c.x0) * (c.t1 - c.t0); };
      var start = null;
      chart.addEventListener('pointerdown', function (ev) {
        start = toX(ev);
        chart.setPointerCapture(ev.pointerId);
        brush.setAttribute('x', start);
        brush.setAttribute('width', 0);
        ev.preventDefault();
      });
      chart.addEventListener('pointermove', function (ev) {
        if (start === null) { return; }
        var x = toX(ev);
        brush.setAttribute('x', Math.min(start, x));
        brush.setAttribute('width', Math.abs(x - start));
      });
      chart.addEventListener('pointerup', function (ev) {
        if (start === null) { return; }
        var x = toX(ev), a = Math.min(start, x), b = Math.max(start, x);
        start = null;
        if (b - a < 3) { select(null); return; }
        select([Math.floor(toT(a)), Math.ceil(toT(b))]);
      });
    }

    // An address's own timeline: its bans across the period, on a click of
    // any address.
    var panel = document.getElementById('address' + sfx);
    function showAddress(ip) {
      if (!panel) { return; }
      while (panel.firstChild) { panel.removeChild(panel.firstChild); }
      panel.removeAttribute('hidden');
      var bans = data.bans.filter(function (b) { return b.ip === ip; });
      var total = 0;
      bans.forEach(function (b) { total += (b.e < 0 ? data.period[1] : Math.min(b.e, data.period[1])) - b.s; });
      panel.appendChild(el('h2', {}, 'Address ' + ip));
      panel.appendChild(el('p', { 'class': 'legend' }, bans.length + ' bans in this page, banned for ' + dur(Math.max(0, total)) + ' in all'));
      var W = 720, H = 70, L = 8, R = 8;
      var t0 = data.period[0], t1 = Math.max(data.period[1], t0 + 1);
      var x = function (t) { return L + (Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0) * (W - L - R); };
      var svg = svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'bans of ' + ip });
      svg.appendChild(svgEl('line', { 'class': 'axis', x1: L, y1: 40, x2: W - R, y2: 40 }));
      bans.forEach(function (b) {
        var e = b.e < 0 ? t1 : b.e;
        svg.appendChild(svgEl('rect', { 'class': 'ban', x: x(b.s), y: 16, width: Math.max(x(e) - x(b.s), 2), height: 20,
          'data-tip': b.jail + ': ' + when(b.s) + ' for ' + (b.e < 0 ? 'ever' : dur(b.e - b.s)) + (b.p ? ', prolonged ' + b.p + '×' : '') +
            (b.d ? ', ' + b.d + ' failures while banned' : '') }));
      });
      var a = svgEl('text', { x: L, y: 60 });
      a.textContent = when(t0);
      svg.appendChild(a);
      var z = svgEl('text', { x: W - R, y: 60, 'text-anchor': 'end' });
      z.textContent = when(data.period[1]);
      svg.appendChild(z);
      panel.appendChild(svg);
      var ol = el('ol', { 'class': 'bans' });
      bans.forEach(function (b) {
        ol.appendChild(el('li', {}, b.jail + ': ' + when(b.s) + (b.e < 0 ? ', permanent' : ' → ' + when(b.e) + ' (' + dur(b.e - b.s) + ')') +
          (b.p ? ', prolonged ' + b.p + '×' : '') + (b.d ? ', ' + b.d + ' failures while banned' : '') + (b.still ? ', still banned at the end' : '')));
      });
      if (!bans.length) { ol.appendChild(el('li', {}, 'no ban in this page')); }
      panel.appendChild(ol);
      panel.scrollIntoView({ block: 'nearest' });
    }
    var section = document.getElementById('host' + sfx);
    if (section) {
      section.addEventListener('click', function (ev) {
        var t = ev.target.closest ? ev.target.closest('[data-ip]') : null;
        if (t) { showAddress(t.getAttribute('data-ip')); }
      });
    }

    select(null);
  }
  data.hosts.forEach(function (h, i) { host(h, '-' + i); });
  document.documentElement.classList.add('scripted');
}());
