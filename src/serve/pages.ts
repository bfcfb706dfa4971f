import { heatmapColour } from '../predict/colormap';
import { Eye, EyeResult, Screening } from './screening';

/** Text for HTML: every value from a request or a file name goes through here. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const EYE_TITLE: Record<Eye, { name: string; abbr: string }> = {
  right: { name: 'Right eye', abbr: 'OD' },
  left: { name: 'Left eye', abbr: 'OS' },
};

const pct = (p: number): string => `${(p * 100).toFixed(1)}%`;

export interface PageContext {
  /** Shown in the header: model name and checkpoint epoch. */
  model: string;
  maxUploadMb: number;
  /** The referral rule in plain words. */
  ruleText: string;
}

const STYLE = `
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --panel:#f5f7fa; --accent:#0b5cad; --accent-soft:#e3eefb;
  --warn:#8a4b00; --warn-bg:#fff4e5; --warn-line:#f0b429; --ok:#1d6b3a; --ok-bg:#eaf7ef; --ok-line:#7bc47f; --err:#9b1c1c; --err-bg:#fdecec; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 "Segoe UI", "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; color:var(--ink); background:#fff; }
header { border-bottom:1px solid var(--line); background:#fff; }
header .wrap { display:flex; align-items:baseline; justify-content:space-between; padding-top:14px; padding-bottom:12px; }
header .brand { font-weight:600; font-size:17px; letter-spacing:.2px; color:var(--ink); text-decoration:none; }
header .brand span { color:var(--accent); }
header .model { color:var(--muted); font-size:13px; }
.wrap { max-width:1080px; margin:0 auto; padding:0 24px; }
main.wrap { padding-top:22px; padding-bottom:32px; }
h1 { font-size:22px; font-weight:600; margin:0 0 6px; }
h2 { font-size:17px; font-weight:600; margin:0; }
.lead { color:var(--muted); margin:0 0 18px; }
.eyes { display:grid; grid-template-columns:1fr 1fr; gap:20px; }
.abbr { color:var(--muted); font-weight:400; font-size:13px; margin-left:6px; }
.zone { position:relative; display:flex; flex-direction:column; align-items:center; justify-content:center; gap:8px; min-height:280px;
  border:2px dashed #9fb3c8; border-radius:10px; background:var(--panel); padding:18px; cursor:pointer; text-align:center; }
.zone:hover, .zone.over { border-color:var(--accent); background:var(--accent-soft); }
.zone.filled { border-style:solid; border-color:var(--accent); background:#fff; }
.zone input[type=file] { position:absolute; inset:0; opacity:0; cursor:pointer; }
.zone .eye-title { font-weight:600; font-size:16px; }
.zone img { max-width:100%; max-height:190px; border-radius:6px; background:#000; }
.zone .hint { color:var(--muted); font-size:14px; }
.zone .hint u { color:var(--accent); text-decoration:none; font-weight:600; }
.zone .filename { font-size:13px; color:var(--ink); word-break:break-all; }
.actions { display:flex; align-items:center; gap:16px; margin-top:20px; }
button, .button { appearance:none; border:0; border-radius:6px; background:var(--accent); color:#fff; font:inherit; font-weight:600;
  padding:10px 26px; cursor:pointer; text-decoration:none; display:inline-block; }
button:disabled { background:#7a9cc6; cursor:progress; }
.button.secondary { background:#fff; color:var(--accent); border:1px solid var(--accent); }
.small { color:var(--muted); font-size:13px; margin:0; }
.banner { border:1px solid; border-left-width:6px; border-radius:8px; padding:12px 16px; margin-bottom:18px; }
.banner strong { display:block; font-size:16px; margin-bottom:2px; }
.banner p { margin:2px 0; }
.banner.refer { background:var(--warn-bg); border-color:var(--warn-line); color:var(--warn); }
.banner.clear { background:var(--ok-bg); border-color:var(--ok-line); color:var(--ok); }
.banner.info { background:var(--panel); border-color:var(--line); color:var(--muted); }
.banner.error { background:var(--err-bg); border-color:#e57373; color:var(--err); }
.summary { display:flex; gap:28px; align-items:baseline; flex-wrap:wrap; border:1px solid var(--line); border-radius:8px; padding:12px 16px; margin-bottom:18px; }
.summary .big { font-size:20px; font-weight:600; }
.summary .label { color:var(--muted); font-size:13px; display:block; }
.card { border:1px solid var(--line); border-radius:10px; padding:14px 16px 16px; }
.card .file { color:var(--muted); font-size:12.5px; margin:2px 0 10px; word-break:break-all; }
.images { display:grid; grid-template-columns:1fr 1fr; gap:10px; }
figure { margin:0; }
figure img { width:100%; aspect-ratio:4/3; object-fit:contain; background:#000; border-radius:6px; display:block; }
figcaption { color:var(--muted); font-size:12.5px; margin-top:4px; }
.grade { margin:12px 0 8px; font-size:15px; }
.grade strong { font-size:18px; }
table.bars { width:100%; border-collapse:collapse; font-size:13.5px; }
table.bars td { padding:3px 0; }
table.bars td.name { width:34%; padding-right:10px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
table.bars td.value { width:60px; text-align:right; font-variant-numeric:tabular-nums; color:var(--muted); }
.track { height:12px; background:#e4e9f0; border-radius:6px; overflow:hidden; }
.fill { height:100%; background:#9fb3c8; border-radius:6px; }
tr.top .fill { background:var(--accent); }
tr.top td.name, tr.top td.value { font-weight:600; color:var(--ink); }
.scale { display:flex; align-items:center; gap:8px; color:var(--muted); font-size:12.5px; margin-top:10px; }
.scale .ramp { width:160px; height:10px; border-radius:5px; }
.notes { margin-top:20px; color:var(--muted); font-size:13px; border-top:1px solid var(--line); padding-top:12px; }
.notes p { margin:4px 0; }
footer { color:var(--muted); font-size:12.5px; }
footer .wrap { border-top:1px solid var(--line); padding-top:10px; padding-bottom:18px; }
@media (max-width: 760px) { .eyes { grid-template-columns:1fr; } }
`;

function layout(title: string, ctx: Pick<PageContext, 'model'>, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · fundus-train</title><style>${STYLE}</style></head>
<body><header><div class="wrap"><a class="brand" href="/">fundus-train <span>·</span> Fundus screening</a><span class="model">model ${escapeHtml(ctx.model)}</span></div></header>
<main class="wrap">${body}</main>
<footer><div class="wrap">Research software, not a medical device: its results are not a diagnosis. Uploaded photographs are used for this prediction only.</div></footer>
${script ? `<script>${script}</script>` : ''}</body></html>`;
}

function zone(eye: Eye): string {
  const t = EYE_TITLE[eye];
  return `<label class="zone" id="zone-${eye}" data-eye="${eye}">
<span class="eye-title">${t.name}<span class="abbr">${t.abbr}</span></span>
<img alt="" hidden>
<span class="hint">Drop a photograph here or <u>choose a file</u></span>
<span class="filename"></span>
<input type="file" name="${eye}" accept="image/jpeg,image/png,image/tiff,image/webp" aria-label="${t.name} photograph">
</label>`;
}

/** Drag and drop onto the zones, previews, and a busy button; the form also works without it. */
const UPLOAD_SCRIPT = `
document.querySelectorAll('.zone').forEach(function (zone) {
  var input = zone.querySelector('input');
  var img = zone.querySelector('img');
  var name = zone.querySelector('.filename');
  function show() {
    var f = input.files && input.files[0];
    zone.classList.toggle('filled', !!f);
    name.textContent = f ? f.name + ' (' + (f.size / 1048576).toFixed(1) + ' MB)' : '';
    if (f && /^image\\/(jpeg|png|webp)$/.test(f.type)) { img.src = URL.createObjectURL(f); img.hidden = false; } else { img.hidden = true; }
  }
  input.addEventListener('change', show);
  ['dragenter', 'dragover'].forEach(function (t) { zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add('over'); }); });
  ['dragleave', 'drop'].forEach(function (t) { zone.addEventListener(t, function () { zone.classList.remove('over'); }); });
  zone.addEventListener('drop', function (e) { e.preventDefault(); if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); } });
});
document.getElementById('form').addEventListener('submit', function () {
  var b = document.getElementById('predict'); b.disabled = true; b.textContent = 'Analysing\\u2026';
});
`;

/** The start page: a Right-eye and a Left-eye zone, and the Predict button. */
export function uploadPage(ctx: PageContext): string {
  const body = `<h1>Screen a patient's fundus photographs</h1>
<p class="lead">Upload the right-eye and the left-eye photograph of one patient. The model grades each eye, shows where it looked, and gives a patient-level result.</p>
<form id="form" method="post" action="/predict" enctype="multipart/form-data">
<div class="eyes">${zone('right')}${zone('left')}</div>
<div class="actions"><button id="predict" type="submit">Predict</button>
<p class="small">JPEG, PNG, TIFF or WebP, up to ${ctx.maxUploadMb} MB each. ${escapeHtml(ctx.ruleText)}</p></div>
</form>`;
  return layout('Upload', ctx, body, UPLOAD_SCRIPT);
}

function bars(eye: EyeResult): string {
  const rows = Object.entries(eye.probabilities)
    .map(([name, p]) => {
      const top = eye.positive ? eye.positive.includes(name) : name === eye.top.class;
      return (
        `<tr class="${top ? 'top' : ''}"><td class="name" title="${escapeHtml(name)}">${escapeHtml(name)}</td>` +
        `<td><div class="track"><div class="fill" style="width:${(p * 100).toFixed(1)}%"></div></div></td><td class="value">${pct(p)}</td></tr>`
      );
    })
    .join('');
  return `<table class="bars" aria-label="class probabilities">${rows}</table>`;
}

function eyeCard(eye: EyeResult): string {
  const t = EYE_TITLE[eye.eye];
  const photo = eye.photo
    ? `<figure><img class="photo" alt="${t.name} photograph" src="data:image/jpeg;base64,${eye.photo.toString('base64')}"><figcaption>Photograph</figcaption></figure>`
    : '';
  const heat = eye.heatmap
    ? `<figure><img class="heatmap" alt="${t.name} heatmap" src="data:image/png;base64,${eye.heatmap.png.toString('base64')}"><figcaption>Heatmap for “${escapeHtml(eye.heatmap.class)}”</figcaption></figure>`
    : '';
  const grade = eye.positive
    ? `Labels present: <strong>${escapeHtml(eye.positive.join(', ') || 'none')}</strong>`
    : `Predicted: <strong>${escapeHtml(eye.top.class)}</strong> <span class="abbr">${pct(eye.top.probability)} confidence</span>`;
  return `<section class="card" id="eye-${eye.eye}"><h2>${t.name}<span class="abbr">${t.abbr}</span></h2>
<p class="file">${escapeHtml(eye.filename)} · ${eye.width}×${eye.height}</p>
<div class="images">${photo}${heat}</div>
<p class="grade">${grade}</p>${bars(eye)}</section>`;
}

function colourScale(): string {
  const stops = Array.from({ length: 11 }, (_, k) => `${heatmapColour(k / 10)} ${k * 10}%`).join(', ');
  return `<div class="scale">Heatmap: low<span class="ramp" style="background:linear-gradient(90deg, ${stops})"></span>high relevance for the predicted class</div>`;
}

/** The results page: referral note, patient-level result, both photographs with heatmaps and confidence bars. */
export function resultsPage(s: Screening, ctx: PageContext): string {
  const parts: string[] = ['<h1>Screening result</h1>'];
  const p = s.patient;
  if (p) {
    const refer = p.referral.refer || Boolean(p.referableGrade?.referable);
    const lines = [`<b>Eye-difference rule:</b> ${escapeHtml(p.referral.reason)}`];
    if (p.referableGrade) lines.push(`<b>Grade:</b> ${escapeHtml(p.referableGrade.text)}`);
    const title = refer ? 'Referral: please see an ophthalmologist' : "No referral from the model's rules";
    parts.push(
      `<div class="banner ${refer ? 'refer' : 'clear'}" id="referral" role="status"><strong>${title}</strong>${lines.map((l) => `<p>${l}</p>`).join('')}</div>`,
    );
    const eye = p.result.eye === 'both' ? 'in both eyes' : `from the ${p.result.eye} eye`;
    const result = p.positive ? escapeHtml(p.positive.join(', ') || 'no label present') : escapeHtml(p.result.class);
    parts.push(
      `<div class="summary" id="patient"><div><span class="label">Patient-level result</span><span class="big">${result}</span> <span class="abbr">${pct(p.result.probability)}, ${eye}</span></div>` +
        `<div><span class="label">Difference between the eyes</span><span class="big">${p.eyeDifference.value.toFixed(3)}</span> <span class="abbr">largest, for “${escapeHtml(p.eyeDifference.class)}”</span></div></div>`,
    );
  } else if (s.note) {
    parts.push(`<div class="banner info" id="referral"><strong>One eye only</strong><p>${escapeHtml(s.note)}</p></div>`);
  }
  parts.push(`<div class="eyes">${s.eyes.map(eyeCard).join('')}</div>`);
  if (s.eyes.some((e) => e.heatmap)) parts.push(colourScale());
  const method = s.eyes.find((e) => e.heatmap)?.heatmap?.method;
  const kind = s.model.probabilities === 'sigmoid' ? 'a sigmoid probability per label (multi-label model)' : 'softmax probabilities over the classes';
  parts.push(
    `<div class="notes">` +
      (p ? `<p>${escapeHtml(p.levelText)}</p>` : '') +
      `<p>${escapeHtml(s.referralRule)}</p>` +
      `<p>Confidence bars show ${kind}.${method ? ` Heatmaps: ${escapeHtml(method)}, drawn over the original photograph.` : ''}</p>` +
      `<p>Model ${escapeHtml(s.model.name)}${s.model.epoch !== null ? `, epoch ${s.model.epoch}` : ''}.</p></div>`,
  );
  parts.push('<div class="actions"><a class="button secondary" href="/">Screen another patient</a></div>');
  return layout('Result', ctx, parts.join('\n'));
}

/** A page for a request the app refuses: what went wrong and how to go on. */
export function errorPage(status: number, message: string, ctx: Pick<PageContext, 'model'>): string {
  const title =
    status === 413
      ? 'Photograph too large'
      : status === 404
        ? 'Page not found'
        : status >= 500
          ? 'Something went wrong'
          : 'The upload could not be used';
  const body = `<h1>${escapeHtml(title)}</h1><div class="banner error" id="error" role="alert"><strong>Error ${status}</strong><p>${escapeHtml(message)}</p></div>
<div class="actions"><a class="button" href="/">Back to the upload page</a></div>`;
  return layout(title, ctx, body);
}
