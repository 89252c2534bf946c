import { problemCatalog } from './catalog';
import { rfc } from './refs';
import type { FamilyInfo, Scenario } from './types';

const PATH = '/scram/resource';
/** RFC 7804 §3's challenge, one per mechanism, SHA-256 first. */
const CHALLENGE = 'SCRAM-SHA-256 realm="four-oh-one", SCRAM-SHA-1 realm="four-oh-one"';
/** base64 of RFC 7677's client-first message, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO". */
const FIRST_256 = 'biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=';
/** base64 of RFC 5802's client-first message, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL". */
const FIRST_1 = 'biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM';
/** RFC 7677's client-final message, base64: the proof made for RFC 7677's own server nonce. */
const FINAL_256 =
  'Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==';
/** RFC 7804 §5's example sid: never one this server issued. */
const FOREIGN_SID = 'AAAABBBBCCCCDDDD';
const continued = (m: string) => ({
  challenge: `${m} sid=…, data=…`,
  challengePattern: `${m} sid=[A-Za-z0-9_-]{22}, data=[A-Za-z0-9+/]+={0,2}`,
});
const EXCHANGE_SETUP =
  'the client-final message must carry the ClientProof over the server nonce of a sid this server just issued to you, which no fixed request can: run the two rounds with an RFC 5802 client (test/scenario-setups.test.ts has one in a few lines; no SCRAM-over-HTTP client exists in npm or Debian).';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'SCRAM over HTTP: two rounds of 401 and a server signature',
  summary:
    'RFC 7804’s SCRAM-SHA-256 and SCRAM-SHA-1 (RFC 7677, RFC 5802) on GET /scram/resource: the client-first message, a 401 with `sid` and the server-first message in `data`, the client-final message with its ClientProof, and the success with the ServerSignature in `Authentication-Info: sid=…, data=…`. The account is RFC 7804’s example, user / pencil, with the RFCs’ salts and 4096 iterations, so their published exchanges apply. Refusals: a bad proof, a replayed or unknown sid, channel binding asked over plain http, malformed messages.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'scram-challenge',
    family: 'scram',
    title: 'No credentials: SCRAM-SHA-256 and SCRAM-SHA-1 offered',
    trigger: { method: 'GET', path: PATH },
    expect: { status: 401, code: 'scram_credentials_missing', challenge: CHALLENGE },
    explanation:
      'RFC 7804 §3: one challenge per mechanism with a realm, the stronger first. Nothing secret follows: the client’s first message names the user and a nonce.',
    rfc: problemCatalog.scram_credentials_missing.rfc,
  },
  {
    id: 'scram-client-first',
    family: 'scram',
    title: 'The client-first message: a 401 with sid and the server-first message',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `SCRAM-SHA-256 data=${FIRST_256}` },
    },
    expect: { status: 401, code: 'scram_continue', ...continued('SCRAM-SHA-256') },
    explanation:
      'RFC 7677’s client-first message, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO": no channel binding (n,,), the user, the client nonce. The answer’s data decodes to "r=rOprNGfwEbeRWgbNEkqO<server nonce>,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096": the same salt and iteration count as RFC 7677’s example, a fresh server nonce every time. The sid names the exchange, kept 60 seconds and charged to you (each one counts against your store quota).',
    rfc: problemCatalog.scram_continue.rfc,
  },
  {
    id: 'scram-sha1-client-first',
    family: 'scram',
    title: 'SCRAM-SHA-1: the same first round',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `SCRAM-SHA-1 data=${FIRST_1}` },
    },
    expect: { status: 401, code: 'scram_continue', ...continued('SCRAM-SHA-1') },
    explanation:
      'RFC 5802’s own example client-first message under SCRAM-SHA-1; its server-first message has RFC 5802’s salt, QSXCR+Q6sek8bf92. SHA-1 is offered second because HMAC-SHA-1 is still sound here but RFC 7677 recommends SHA-256 for new deployments.',
    rfc: [rfc(5802, '5'), rfc(7804, '5'), rfc(7677, '4')],
  },
  {
    id: 'scram-complete',
    family: 'scram',
    title: 'The client-final message: 200 with the ServerSignature',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `SCRAM-SHA-256 sid=${FOREIGN_SID}, data=${FINAL_256}` },
      fired: false,
      setup: EXCHANGE_SETUP,
    },
    expect: { status: 200, challenge: null },
    explanation:
      'c=biws (base64 of the GS2 header "n,,"), the combined nonce, and p=ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage), where AuthMessage joins the three messages. The server checks that H(ClientProof XOR HMAC(StoredKey, AuthMessage)) is its StoredKey, and answers 200 with `Authentication-Info: sid=<sid>, data=<base64 of "v=<ServerSignature>">`: the client must check v= to know the server holds the password’s keys too (mutual authentication), and refuse the answer if it does not.',
    rfc: [rfc(7804, '5'), rfc(7615, '3'), rfc(5802, '3')],
  },
  {
    id: 'scram-proof-invalid',
    family: 'scram',
    title: 'A ClientProof made with the wrong password',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `SCRAM-SHA-256 sid=${FOREIGN_SID}, data=${FINAL_256}` },
      fired: false,
      setup: EXCHANGE_SETUP,
    },
    expect: { status: 401, code: 'scram_proof_invalid', challenge: CHALLENGE },
    explanation:
      'The two rounds with a wrong password (or an unknown user, whose salt is made up and whose proof can never verify): the proof does not verify, the sid is spent, and the refusal counts against the address’s budget of refused credentials.',
    rfc: problemCatalog.scram_proof_invalid.rfc,
  },
  {
    id: 'scram-replayed',
    family: 'scram',
    title: 'A client-final message sent again: the sid is spent',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `SCRAM-SHA-256 sid=${FOREIGN_SID}, data=${FINAL_256}` },
      fired: false,
      setup:
        'complete an exchange (scram-complete), then send its client-final message again with the same sid; test/scenario-setups.test.ts does.',
    },
    expect: { status: 401, code: 'scram_sid_invalid', challenge: CHALLENGE },
    explanation:
      'Each sid is answered once, right or wrong: a replayed client-final message (a captured one, or a client retrying) finds nothing. Even without that, the proof is bound to the server nonce, which a new exchange changes.',
    rfc: problemCatalog.scram_sid_invalid.rfc,
  },
  {
    id: 'scram-sid-unknown',
    family: 'scram',
    title: 'RFC 7677’s own client-final message, with RFC 7804’s example sid',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: `SCRAM-SHA-256 sid=${FOREIGN_SID}, data=${FINAL_256}` },
    },
    expect: { status: 401, code: 'scram_sid_invalid', challenge: CHALLENGE },
    explanation:
      'A correct proof for user / pencil, but for the RFC’s server nonce, under a sid this server never issued: the published exchange cannot be replayed here.',
    rfc: problemCatalog.scram_sid_invalid.rfc,
  },
  {
    id: 'scram-channel-binding',
    family: 'scram',
    title: 'Channel binding asked over plain http',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: {
        Authorization:
          'SCRAM-SHA-256 data=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=',
      },
    },
    expect: { status: 401, code: 'scram_channel_binding_unsupported', challenge: CHALLENGE },
    explanation:
      'The GS2 header "p=tls-server-end-point" asks to bind the proof to the TLS server certificate: there is none on plain http, and no SCRAM-SHA-256-PLUS is offered. No sid is created.',
    rfc: problemCatalog.scram_channel_binding_unsupported.rfc,
  },
  {
    id: 'scram-malformed',
    family: 'scram',
    title: 'A client-first message without its GS2 header',
    trigger: {
      method: 'GET',
      path: PATH,
      headers: { Authorization: 'SCRAM-SHA-256 data=bj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=' },
    },
    expect: { status: 400, code: 'scram_malformed', challenge: null },
    explanation:
      '"n=user,r=…" without "n,," before it: the message cannot be read as RFC 5802 §7 defines it. 400, no challenge, nothing stored.',
    rfc: problemCatalog.scram_malformed.rfc,
  },
];
