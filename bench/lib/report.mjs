/** Turns the raw results into the table printed at the end (Markdown) and the fan-out chart (SVG). */
import { summarize } from './stats.mjs';

const fmt = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const big = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');

/** "median (min-max)" of a list of numbers. */
function cell(values, digits = 2, asBig = false) {
  const s = summarize(values);
  if (s.n === 0) return 'n/a';
  const f = asBig ? big : (v) => fmt(v, digits);
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN);
const med = (values) => summarize(values).median;
const r0 = (xs) => xs[0] ?? {};
const mark = (ok) => (ok === undefined ? '' : ok ? 'met' : '**missed**');

export function buildReport(results) {
  const out = [];
  const targets = [];
  const { machine, options } = results;
  out.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB RAM, Linux ${machine.kernel}, Node ${machine.node}; ${machine.date}.`,
  );
  out.push(
    `Run: ${options.label}; ulimit -n ${machine.openFiles}${machine.ulimitNote ? ` (${machine.ulimitNote})` : ''}. Ratios are rocket / peer, medians of the repetitions (min–max in brackets).`,
  );
  out.push('');

  if (results.raw?.length) {
    const gib = (results.raw.find((r) => r.ok)?.bytes ?? 0) / 1024 ** 3;
    out.push(`### Raw pipe: ${fmt(gib, 2)} GiB through stdin → sender → receiver → stdout`);
    out.push('');
    out.push(
      '| tool | GiB/s | CPU s per GiB (both ends) | rocket / tool (GiB/s) | rocket / tool (CPU per GiB) |',
    );
    out.push('|---|---|---|---|---|');
    const by = (tool, key) => results.raw.filter((r) => r.tool === tool && r.ok).map((r) => r[key]);
    const rocketRate = med(by('rocket', 'gibPerSecond'));
    const rocketCpu = med(by('rocket', 'cpuPerGiB'));
    for (const tool of [...new Set(results.raw.map((r) => r.tool))]) {
      const rate = med(by(tool, 'gibPerSecond'));
      const cpu = med(by(tool, 'cpuPerGiB'));
      const failed = results.raw.filter((r) => r.tool === tool && !r.ok).length;
      out.push(
        `| ${tool}${failed ? ` (${failed} failed)` : ''} | ${cell(by(tool, 'gibPerSecond'))} | ${cell(by(tool, 'cpuPerGiB'))} | ${tool === 'rocket' ? '' : fmt(ratio(rocketRate, rate))} | ${tool === 'rocket' ? '' : fmt(ratio(rocketCpu, cpu))} |`,
      );
    }
    out.push('');
    const r = (tool) => ratio(rocketRate, med(by(tool, 'gibPerSecond')));
    targets.push(['raw pipe ≥ 1.0× socat -b 131072', fmt(r('socat -b 131072')), r('socat -b 131072') >= 1.0]);
    targets.push(['raw pipe ≥ 1.2× nc', fmt(r('nc')), r('nc') >= 1.2]);
    const cpuVsNc = ratio(rocketCpu, med(by('nc', 'cpuPerGiB')));
    targets.push(['raw pipe CPU per GiB ≤ nc', fmt(cpuVsNc), cpuVsNc <= 1.0]);
  }

  if (results.room?.length) {
    const ns = [...new Set(results.room.map((r) => r.clients))].sort((a, b) => a - b);
    const runs = (server, n) => results.room.filter((r) => r.server === server && r.clients === n);
    const phase = (server, n, p, key) =>
      runs(server, n)
        .map((r) => r.phases?.[p]?.[key])
        .filter((v) => v !== undefined);
    out.push('### Room fan-out (plain TCP clients, 4 senders)');
    out.push('');
    out.push(
      '| clients | phase | server | delivered lines/s | p50 ms | p99 ms | missing | corrupt | dropped clients | server µs CPU / line | load-gen CPU % |',
    );
    out.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const n of ns) {
      for (const p of ['paced', 'loaded', 'blast']) {
        for (const server of ['rocket', 'ncat']) {
          if (runs(server, n).length === 0) continue;
          const sum = (key) => phase(server, n, p, key).reduce((a, b) => a + b, 0);
          out.push(
            `| ${big(n)} | ${p} | ${server} | ${cell(phase(server, n, p, 'deliveredPerSecond'), 0, true)} | ${cell(phase(server, n, p, 'p50ms'))} | ${cell(phase(server, n, p, 'p99ms'))} | ${big(sum('missing'))} | ${big(sum('corrupt'))} | ${big(sum('clientsDropped'))} | ${cell(phase(server, n, p, 'serverCpuUsPerLine'))} | ${cell(phase(server, n, p, 'loadGenCpuPercent'), 0)} |`,
          );
        }
      }
    }
    out.push('');
    out.push(
      'Missing, corrupt and dropped are totals over the repetitions. A run that failed is left out of its row.',
    );
    out.push('');
    out.push('### Joining and idle memory');
    out.push('');
    out.push(
      '| clients | server | join s (all greeted) | settle s (announcements) | control lines while settling | server CPU s (join + settle) | idle RSS MiB |',
    );
    out.push('|---|---|---|---|---|---|---|');
    for (const n of ns) {
      for (const server of ['rocket', 'ncat']) {
        const rs = runs(server, n);
        if (rs.length === 0) continue;
        const short = rs.filter((r) => !Number.isFinite(r.join?.seconds));
        const note = short.length
          ? ` (${short.length} run(s): only ${short.map((r) => big(r.join?.greeted)).join(', ')} greeted within ${r0(short).join?.timeoutSeconds} s)`
          : '';
        out.push(
          `| ${big(n)} | ${server} | ${cell(rs.map((r) => r.join?.seconds))}${note} | ${cell(
            rs.map((r) => r.settle?.seconds),
            1,
          )} | ${cell(
            rs.map((r) => r.settle?.controlLines),
            0,
            true,
          )} | ${cell(
            rs.map((r) => r.settle?.serverCpuSeconds),
            1,
          )} | ${cell(
            rs.map((r) => r.memory?.idleMiB),
            0,
          )} |`,
        );
      }
    }
    out.push('');
    if (ns.includes(1000) && runs('ncat', 1000).length) {
      const cpuR = ratio(
        med(phase('rocket', 1000, 'loaded', 'serverCpuUsPerLine')),
        med(phase('ncat', 1000, 'loaded', 'serverCpuUsPerLine')),
      );
      targets.push(['1,000 clients: server CPU per line ≤ ncat (loaded)', fmt(cpuR), cpuR <= 1.0]);
      const bad = ['paced', 'loaded', 'blast'].reduce(
        (a, p) =>
          a +
          ['missing', 'corrupt'].reduce(
            (b, k) => b + phase('rocket', 1000, p, k).reduce((x, y) => x + y, 0),
            0,
          ),
        0,
      );
      targets.push(['1,000 clients: zero corrupt/missing (rocket)', big(bad), bad === 0]);
      const p99R = ratio(
        med(phase('rocket', 1000, 'loaded', 'p99ms')),
        med(phase('ncat', 1000, 'loaded', 'p99ms')),
      );
      targets.push(['1,000 clients: loaded p99 ≤ 0.5× ncat', fmt(p99R), p99R <= 0.5]);
    }
    if (ns.includes(10000) && runs('rocket', 10000).length) {
      const rs = runs('rocket', 10000);
      const join = med(
        rs.map((r) => (r.join?.timedOut || r.join?.failed ? Number.POSITIVE_INFINITY : r.join?.seconds)),
      );
      targets.push(['10,000 clients: all join < 2 s', `${fmt(join)} s`, join < 2]);
      const bad = rs.reduce(
        (a, r) =>
          a +
          (r.ok
            ? ['paced', 'loaded', 'blast'].reduce((b, p) => b + r.phases[p].missing + r.phases[p].corrupt, 0)
            : 1),
        0,
      );
      targets.push(['10,000 clients: every line delivered', big(bad), bad === 0]);
      const rss = Math.max(
        ...rs.map((r) =>
          Math.max(
            r.memory?.idleMiB ?? Number.NaN,
            ...Object.values(r.phases ?? {}).map((p) => p.serverRssMiB),
          ),
        ),
      );
      targets.push(['10,000 clients: server RSS < 150 MB', `${fmt(rss, 0)} MiB`, rss * 1.048576 < 150]);
    }
  }

  if (results.udp?.length) {
    out.push('### UDP room: one sender → relay → one receiver');
    out.push('');
    out.push(
      '| size | offered | relay | offered/s | delivered/s | loss % | corrupt | rocket / socat (delivered/s) |',
    );
    out.push('|---|---|---|---|---|---|---|---|');
    const keys = [...new Set(results.udp.map((r) => `${r.size}|${r.rate}`))];
    for (const key of keys) {
      const [size, rate] = key.split('|').map(Number);
      const pick = (relay, k) =>
        results.udp
          .filter((r) => r.relay === relay && r.size === size && r.rate === rate && r.ok)
          .map((r) => r[k]);
      const rr = ratio(med(pick('rocket', 'deliveredPerSecond')), med(pick('socat', 'deliveredPerSecond')));
      for (const relay of ['rocket', 'socat']) {
        out.push(
          `| ${size} B | ${rate > 0 ? `${big(rate)}/s` : 'max'} | ${relay} | ${cell(pick(relay, 'offeredPerSecond'), 0, true)} | ${cell(pick(relay, 'deliveredPerSecond'), 0, true)} | ${cell(pick(relay, 'lossPercent'))} | ${big(pick(relay, 'corrupt').reduce((a, b) => a + b, 0))} | ${relay === 'rocket' ? fmt(rr) : ''} |`,
        );
      }
      const lossR = med(pick('rocket', 'lossPercent'));
      const lossS = med(pick('socat', 'lossPercent'));
      targets.push([
        `UDP ${size} B ${rate > 0 ? `at ${big(rate)}/s` : 'max'}: ≥ 1.0× socat, loss no higher`,
        `${fmt(rr)}, loss ${fmt(lossR)}% vs ${fmt(lossS)}%`,
        rr >= 0.995 && lossR <= lossS + 0.05,
      ]);
    }
    out.push('');
  }

  if (results.startup?.length) {
    out.push('### Startup (wall time, ms)');
    out.push('');
    out.push('| command | median (min–max) | × node -e 0 |');
    out.push('|---|---|---|');
    const floor = results.startup.find((s) => s.name === 'node -e 0')?.ms.median;
    for (const s of results.startup)
      out.push(
        `| \`${s.name}\` | ${fmt(s.ms.median, 1)} (${fmt(s.ms.min, 1)}–${fmt(s.ms.max, 1)}) | ${fmt(ratio(s.ms.median, floor))} |`,
      );
    out.push('');
    const v = results.startup.find((s) => s.name === 'rocket --version');
    if (v)
      targets.push([
        '`rocket --version` ≤ 1.4× `node -e 0`',
        fmt(ratio(v.ms.median, floor)),
        ratio(v.ms.median, floor) <= 1.4,
      ]);
  }

  out.push('### Targets');
  out.push('');
  if (options.quick || options.reps < 3) {
    // A smoke run's numbers are too small to judge by: a 64 MiB transfer is mostly Node's
    // start-up, one repetition has no median, a 1-second phase barely warms the room.
    out.push(
      `Not a verdict: a ${options.quick ? 'quick' : `${options.reps}-repetition`} run only shows that everything runs. The targets are judged on a full run: \`npm run bench -- --raw-gib 2 --reps 5\`.`,
    );
    out.push('');
  }
  out.push('| target | measured | |');
  out.push('|---|---|---|');
  for (const [name, value, ok] of targets) out.push(`| ${name} | ${value} | ${mark(ok)} |`);
  out.push('');
  return out.join('\n');
}

/** Delivered lines/s (blast phase) against clients, log-log, rocket and ncat. */
export function buildChart(results) {
  const W = 640;
  const H = 400;
  const m = { l: 80, r: 130, t: 40, b: 55 };
  const series = ['rocket', 'ncat'].map((server, i) => {
    const ns = [...new Set(results.room.filter((r) => r.server === server).map((r) => r.clients))].sort(
      (a, b) => a - b,
    );
    const points = ns
      .map((n) => {
        const v = med(
          results.room
            .filter((r) => r.server === server && r.clients === n && r.phases?.blast)
            .map((r) => r.phases.blast.deliveredPerSecond),
        );
        return [n, v];
      })
      .filter(([, v]) => Number.isFinite(v) && v > 0);
    return { server, points, color: ['#d1495b', '#00798c'][i] };
  });
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return '';
  const xs = all.map((p) => Math.log10(p[0]));
  const ys = all.map((p) => Math.log10(p[1]));
  const x0 = Math.floor(Math.min(...xs));
  const x1 = Math.ceil(Math.max(...xs));
  const y0 = Math.floor(Math.min(...ys));
  const y1 = Math.ceil(Math.max(...ys));
  const px = (n) => m.l + ((Math.log10(n) - x0) / Math.max(x1 - x0, 1)) * (W - m.l - m.r);
  const py = (v) => H - m.b - ((Math.log10(v) - y0) / Math.max(y1 - y0, 1)) * (H - m.t - m.b);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    '<title>Room fan-out: lines delivered per second (blast phase) against clients in the room, rocket and ncat --chat</title>',
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - 40}" y="22" text-anchor="middle" font-size="14">Room fan-out: delivered lines/s (blast phase) vs clients</text>`,
  ];
  for (let e = x0; e <= x1; e++) {
    const x = px(10 ** e);
    parts.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${H - m.b}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${x}" y="${H - m.b + 18}" text-anchor="middle">${(10 ** e).toLocaleString('en-US')}</text>`,
    );
  }
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${m.l - 8}" y="${y + 4}" text-anchor="end">${(10 ** e).toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">clients in the room (log scale)</text>`,
  );
  parts.push(
    `<text x="18" y="${(m.t + H - m.b) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(m.t + H - m.b) / 2})">lines delivered per second (log scale)</text>`,
  );
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points
      .map(([n, v], k) => `${k === 0 ? 'M' : 'L'}${px(n).toFixed(1)},${py(v).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5"/>`);
    for (const [n, v] of s.points)
      parts.push(
        `<circle cx="${px(n).toFixed(1)}" cy="${py(v).toFixed(1)}" r="4" fill="${s.color}"><title>${s.server}, ${n} clients: ${big(v)} lines/s</title></circle>`,
      );
    const ly = m.t + 20 + i * 22;
    parts.push(
      `<line x1="${W - m.r + 15}" y1="${ly}" x2="${W - m.r + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"/>`,
    );
    parts.push(
      `<text x="${W - m.r + 46}" y="${ly + 4}">${s.server === 'ncat' ? 'ncat --chat' : 'rocket'}</text>`,
    );
  });
  parts.push(`<text x="${W - m.r + 15}" y="${m.t + 76}" font-size="10" fill="#555">ncat stops at</text>`);
  parts.push(
    `<text x="${W - m.r + 15}" y="${m.t + 89}" font-size="10" fill="#555">~1,020 connections</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
