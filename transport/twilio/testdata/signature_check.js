// Cross-checks Switchboard's X-Twilio-Signature code against the official
// twilio library. Reads a JSON array of cases on stdin and writes, for each,
// the library's own signature of (token, url, params) and whether the
// library accepts the signature Switchboard computed when validating
// validateUrl. Run by signature_test.go with NODE_PATH pointing at the
// node_modules that holds twilio.
'use strict';
const twilio = require('twilio');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  const out = cases.map((c) => ({
    expected: twilio.getExpectedTwilioSignature(c.token, c.url, c.params),
    valid: twilio.validateRequest(c.token, c.ours, c.validateUrl, c.params),
  }));
  process.stdout.write(JSON.stringify({
    version: require('twilio/package.json').version,
    results: out,
  }));
});
