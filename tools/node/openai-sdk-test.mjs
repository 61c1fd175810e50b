// Runs the official OpenAI SDK against a Switchboard node. Started by
// server/openai_test.go with SWITCHBOARD_URL, SWITCHBOARD_KEY, SAMPLE_WAV (a
// speech file) and SAMPLE_TEXT (what it says). Exits non-zero on the first
// failed check and prints what it checked.
import fs from 'node:fs';
import OpenAI, { toFile } from 'openai';

const baseURL = process.env.SWITCHBOARD_URL + '/v1';
const apiKey = process.env.SWITCHBOARD_KEY;
const samplePath = process.env.SAMPLE_WAV;
const sampleText = process.env.SAMPLE_TEXT;
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const checks = [];

function check(name, ok, detail = '') {
  checks.push(name);
  if (!ok) {
    console.error(`FAIL ${name} ${detail}`);
    process.exit(1);
  }
  console.log(`ok   ${name}${detail ? ' ' + detail : ''}`);
}

const words = (s) => s.toLowerCase().replace(/[^a-z' ]/g, ' ').split(/\s+/).filter(Boolean);
function wordRecall(ref, hyp) {
  const h = new Set(words(hyp));
  const r = words(ref);
  return r.filter((w) => h.has(w)).length / r.length;
}

// ---- speech ----
const input = 'Your appointment is confirmed for Tuesday at three.';
for (const [format, type, test] of [
  ['mp3', 'audio/mpeg', (b) => (b[0] === 0xff && (b[1] & 0xe0) === 0xe0) || b.subarray(0, 3).toString() === 'ID3'],
  ['wav', 'audio/wav', (b) => b.subarray(0, 4).toString() === 'RIFF' && b.subarray(8, 12).toString() === 'WAVE'],
  ['pcm', 'audio/pcm', (b) => b.length % 2 === 0 && b.length > 24000 * 2],
  ['opus', 'audio/ogg', (b) => b.subarray(0, 4).toString() === 'OggS' && b.includes(Buffer.from('OpusHead'))],
]) {
  const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: format });
  const buf = Buffer.from(await res.arrayBuffer());
  check(`speech ${format}: content type`, res.headers.get('content-type') === type, res.headers.get('content-type'));
  check(`speech ${format}: bytes`, test(buf), `${buf.length} bytes`);
  if (format === 'pcm') {
    check('speech pcm: 24 kHz', res.headers.get('x-audio-sample-rate') === '24000');
  }
}
{
  const res = await client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: { id: 'flite-kal16' }, input, speed: 1.25, instructions: 'Speak calmly.' });
  const buf = Buffer.from(await res.arrayBuffer());
  check('speech: voice as {id}, default mp3', res.headers.get('content-type') === 'audio/mpeg' && buf.length > 1000);
}

// ---- transcriptions ----
const sample = fs.readFileSync(samplePath);
const files = {
  stream: () => fs.createReadStream(samplePath), // sent chunked, no Content-Length
  buffer: () => toFile(sample, 'sample.wav', { type: 'audio/wav' }),
};
for (const [how, file] of Object.entries(files)) {
  const base = { model: 'whisper-1', prompt: sampleText };
  const json = await client.audio.transcriptions.create({ ...base, file: await file() });
  check(`transcription json (${how})`, typeof json.text === 'string' && wordRecall(sampleText, json.text) >= 0.8, JSON.stringify(json.text));

  const text = await client.audio.transcriptions.create({ ...base, file: await file(), response_format: 'text' });
  check(`transcription text (${how})`, typeof text === 'string' && wordRecall(sampleText, text) >= 0.8, JSON.stringify(text));

  const verbose = await client.audio.transcriptions.create({
    ...base, file: await file(), response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'],
  });
  const w = verbose.words ?? [];
  check(`transcription verbose_json words (${how})`,
    w.length >= 5 && w.every((x) => typeof x.start === 'number' && x.end > x.start && x.end <= verbose.duration + 0.01),
    `${w.length} words, duration ${verbose.duration}`);
  check(`transcription verbose_json segments (${how})`,
    (verbose.segments ?? []).length >= 1 && verbose.segments.every((s) => typeof s.text === 'string' && s.end > s.start) && verbose.language === 'english');

  const srt = await client.audio.transcriptions.create({ ...base, file: await file(), response_format: 'srt' });
  check(`transcription srt (${how})`, typeof srt === 'string' && /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/.test(srt), JSON.stringify(srt.slice(0, 40)));

  const vtt = await client.audio.transcriptions.create({ ...base, file: await file(), response_format: 'vtt' });
  check(`transcription vtt (${how})`, typeof vtt === 'string' && /^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> /.test(vtt), JSON.stringify(vtt.slice(0, 40)));
}
{
  const stream = await client.audio.transcriptions.create({
    model: 'gpt-4o-transcribe', file: fs.createReadStream(samplePath), prompt: sampleText, stream: true,
  });
  let deltas = '';
  let done = null;
  let count = 0;
  for await (const ev of stream) {
    if (ev.type === 'transcript.text.delta') {
      deltas += ev.delta;
      count++;
    } else if (ev.type === 'transcript.text.done') {
      done = ev.text;
    }
  }
  check('transcription stream: deltas then done', count >= 1 && done !== null && deltas === done && wordRecall(sampleText, done) >= 0.8,
    `${count} deltas, ${JSON.stringify(done)}`);
}

// ---- models ----
{
  const ids = [];
  for await (const m of client.models.list()) {
    ids.push(m.id);
    if (m.object !== 'model' || typeof m.created !== 'number' || !m.owned_by) check('models: shape', false, JSON.stringify(m));
  }
  check('models.list', ids.includes('whisper-1') && ids.includes('tts-1'), ids.join(','));
  const audio = await client.get('/audio/models');
  check('GET /audio/models', audio.object === 'list' && audio.data.length === ids.length);
}

// ---- errors ----
{
  const bad = new OpenAI({ baseURL, apiKey: 'sb_live_not_a_key', maxRetries: 0 });
  try {
    await bad.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi' });
    check('bad key raises', false);
  } catch (err) {
    check('bad key raises AuthenticationError 401', err instanceof OpenAI.AuthenticationError && err.status === 401 &&
      err.error?.type === 'invalid_request_error' && err.error?.code === 'invalid_api_key', `${err.constructor.name} ${err.status}`);
  }
  try {
    await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi', response_format: 'aac' });
    check('aac raises', false);
  } catch (err) {
    check('aac raises BadRequestError 400', err instanceof OpenAI.BadRequestError && err.status === 400 && err.param === 'response_format',
      `${err.constructor.name} ${err.status} ${err.param}`);
  }
  try {
    await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(Buffer.from('not audio at all'), 'x.wav') });
    check('corrupt audio raises', false);
  } catch (err) {
    check('corrupt audio raises BadRequestError 400', err instanceof OpenAI.BadRequestError && err.param === 'file', `${err.status} ${err.message}`);
  }
}
console.log(`all ${checks.length} checks passed`);
