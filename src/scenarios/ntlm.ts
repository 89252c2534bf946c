import { problemCatalog } from './catalog';
import { msNlmp, rfc } from './refs';
import type { FamilyInfo, Scenario } from './types';

/** The NEGOTIATE message (type 1) curl 7.88 sends for `--ntlm`. */
const TYPE1 = 'TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=';
/**
 * An AUTHENTICATE message (type 3) for my_username / my_password with an NTLMv2 response to a
 * challenge issued on some other connection (server challenge 0123456789abcdef, 2026-12-01):
 * made with `authenticateMessage` (src/auth/ntlm.ts).
 */
const TYPE3_ELSEWHERE =
  'TlRMTVNTUAADAAAAGAAYAEgAAADEAMQAYAAAAAAAAAAkAQAAFgAWACQBAAAMAAwAOgEAAAAAAABGAQAAAQIIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAhopiS7M723hGpPHd9GyYsQEBAAAAAAAAAIB56CaB3QHA/+7A/+7A/wAAAAACABYARgBPAFUAUgAtAE8ASAAtAE8ATgBFAAEADgBTAEEATgBEAEIATwBYAAQAIABmAG8AdQByAC0AbwBoAC0AbwBuAGUALgB0AGUAcwB0AAMAMABzAGEAbgBkAGIAbwB4AC4AZgBvAHUAcgAtAG8AaAAtAG8AbgBlAC4AdABlAHMAdAAHAAgAAIB56CaB3QEAAAAAAAAAAG0AeQBfAHUAcwBlAHIAbgBhAG0AZQBMAEEAUABUAE8AUAA=';
/** The same user's AUTHENTICATE message with a 24-byte NTLMv1 response and a zero LM response. */
const TYPE3_V1 =
  'TlRMTVNTUAADAAAAGAAYAEgAAAAYABgAYAAAAAAAAAB4AAAAFgAWAHgAAAAMAAwAjgAAAAAAAACaAAAAAQIIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAoIWzrg2iyk3FJJFBJbt+DqCFs64NospNbQB5AF8AdQBzAGUAcgBuAGEAbQBlAEwAQQBQAFQATwBQAA==';
/** The first 64 bytes of TYPE3_ELSEWHERE: its fields point past the end. */
const TYPE3_TRUNCATED =
  'TlRMTVNTUAADAAAAGAAYAEgAAADEAMQAYAAAAAAAAAAkAQAAFgAWACQBAAAMAAwAOgEAAAAAAABGAQAAAQIIAA==';
/**
 * The head of a GSS-API Kerberos token (RFC 4121 §4.1): 0x60, the OID 1.2.840.113554.1.2.2,
 * TOK_ID 01 00 (AP-REQ), then an AP-REQ cut after pvno 5 and msg-type 14.
 */
const KERBEROS_AP_REQ = 'YBsGCSqGSIb3EgECAgEAbgwwCqADAgEFoQMCAQ4=';
/**
 * A SPNEGO NegTokenInit (RFC 4178 §4.2.1) listing MS-Kerberos, Kerberos and NTLMSSP, as a
 * browser on a domain-joined machine sends (without its optimistic mechToken).
 */
const SPNEGO_INIT = 'YDIGBisGAQUFAqAoMCagJDAiBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICCg==';

const NTLM_PATH = '/ntlm/resource';
const NEGOTIATE_PATH = '/negotiate/resource';
/** What /ntlm/resource offers, as IIS with Windows authentication does. */
const OFFER = 'Negotiate, NTLM';
/** A CHALLENGE message: fresh each time, so a pattern (its fixed head: signature and type 2). */
const type2 = (scheme: string) => ({
  challenge: `${scheme} TlRMTVNTUAACAAAA…`,
  challengePattern: `${scheme} TlRMTVNTUAACAAAA[A-Za-z0-9+/]+={0,2}`,
});
const HANDSHAKE_SETUP =
  'the AUTHENTICATE message must answer a challenge issued on the same TCP connection, which no single request can carry: run `curl -i --ntlm -u my_username:my_password <server>/ntlm/resource` (curl sends type 1, reads the 401 with type 2, answers with type 3 on the same connection), or Python requests with requests_ntlm’s HttpNtlmAuth. test/scenario-setups.test.ts runs the handshake on one keep-alive connection.';

/** The family's heading in /scenarios, the playground and the OpenAPI tags. */
export const family: FamilyInfo = {
  title: 'Negotiate and NTLM: the connection-oriented handshake',
  summary:
    'Windows integrated authentication as intranet clients meet it: `WWW-Authenticate: Negotiate` and `NTLM` (RFC 4559, [MS-NLMP]), a three-message handshake (NEGOTIATE, CHALLENGE, AUTHENTICATE) over one keep-alive connection, checked with NTLMv2. The domain FOUR-OH-ONE and its account (my_username / my_password) are synthetic: no domain controller and no Kerberos KDC are involved, so a Kerberos ticket is refused with its own code, and so are LM/NTLMv1 responses and an answer that arrives on another connection than its challenge.',
};

/** The family's scenarios, in the order /scenarios and the playground list them. */
export const scenarios: Scenario[] = [
  {
    id: 'ntlm-challenge',
    family: 'ntlm',
    title: 'No credentials: Negotiate and NTLM offered',
    trigger: { method: 'GET', path: NTLM_PATH },
    expect: { status: 401, code: 'ntlm_credentials_missing', challenge: OFFER },
    explanation:
      'IIS with Windows authentication answers so: two schemes without parameters, Negotiate first. A browser on a domain-joined machine answers Negotiate with a Kerberos ticket; elsewhere clients fall back to NTLM. Unlike Basic or Digest, no client sends a password after this 401: it opens a handshake whose first message carries no secret at all.',
    rfc: problemCatalog.ntlm_credentials_missing.rfc,
  },
  {
    id: 'ntlm-negotiate-message',
    family: 'ntlm',
    title: 'Type 1 (NEGOTIATE): the 401 carries the CHALLENGE',
    trigger: { method: 'GET', path: NTLM_PATH, headers: { Authorization: `NTLM ${TYPE1}` } },
    expect: { status: 401, code: 'ntlm_handshake_continue', ...type2('NTLM') },
    explanation:
      'The first leg, as `curl --ntlm` sends it: NTLMSSP, type 1, flags (Unicode, NTLM, extended session security). The 401 carries the second leg, the CHALLENGE message: 8 random bytes of server challenge, flags, and target info (the NetBIOS and DNS names of the synthetic domain FOUR-OH-ONE and server SANDBOX, and MsvAvTimestamp). The challenge is remembered with this TCP connection for 60 seconds; sent from the playground or a one-shot client, the next request comes on a new connection and the handshake cannot finish.',
    rfc: problemCatalog.ntlm_handshake_continue.rfc,
  },
  {
    id: 'ntlm-handshake-complete',
    family: 'ntlm',
    title: 'Type 3 (AUTHENTICATE) on the same connection: 200',
    trigger: {
      method: 'GET',
      path: NTLM_PATH,
      headers: { Authorization: `NTLM ${TYPE3_ELSEWHERE}` },
      fired: false,
      setup: HANDSHAKE_SETUP,
    },
    expect: { status: 200, challenge: null },
    explanation:
      'The third leg: the user name, the domain (FOUR-OH-ONE or empty), the workstation, and the NTLMv2 response, NTProofStr = HMAC-MD5(NTOWFv2, server challenge ‖ blob) where NTOWFv2 = HMAC-MD5(MD4(UTF-16LE(password)), UPPER(user) ‖ domain), and the blob holds the client’s time, its own challenge and the target info copied from type 2. The server checks it against the challenge issued on this connection, once. NTLM has no final leg: the 200 carries no WWW-Authenticate. The connection is not left authenticated afterwards (IIS’s default is to keep it so): behind a proxy that shares connections, another visitor’s request would ride on this login (RFC 9110 §3.3), so every request here runs the handshake again.',
    rfc: [msNlmp('3.2.5.1.2'), msNlmp('3.3.2'), rfc(4559, '4.2')],
  },
  {
    id: 'negotiate-negotiate-message',
    family: 'ntlm',
    title: 'A raw NTLM type 1 inside Negotiate',
    trigger: {
      method: 'GET',
      path: NEGOTIATE_PATH,
      headers: { Authorization: `Negotiate ${TYPE1}` },
    },
    expect: { status: 401, code: 'ntlm_handshake_continue', ...type2('Negotiate') },
    explanation:
      'RFC 4559 says Negotiate carries SPNEGO (RFC 4178) tokens, but Windows also accepts a bare NTLM message there, and clients without Kerberos send one (Python requests_ntlm does, on a server that offers only Negotiate). This server does the same: the CHALLENGE comes back under `Negotiate`, and the handshake continues as with NTLM.',
    rfc: [rfc(4559, '4.1'), rfc(4559, '4.2'), msNlmp('2.2.1.2')],
  },
  {
    id: 'negotiate-handshake-complete',
    family: 'ntlm',
    title: 'Negotiate (NTLM inside) completed: 200 without a final token',
    trigger: {
      method: 'GET',
      path: NEGOTIATE_PATH,
      headers: { Authorization: `Negotiate ${TYPE3_ELSEWHERE}` },
      fired: false,
      setup: HANDSHAKE_SETUP.replace('/ntlm/resource', '/negotiate/resource'),
    },
    expect: { status: 200, challenge: null },
    explanation:
      'RFC 4559 §5 shows the final 200 with `WWW-Authenticate: Negotiate <gssapi-data>`: the continuation a Kerberos server sends (its AP-REP, for mutual authentication) or a SPNEGO one (NegTokenResp accept-completed, with a mechListMIC signed by the session key). A raw NTLM exchange has no such final token: the server’s side of NTLM ends with the AUTHENTICATE message, so this 200 carries no WWW-Authenticate, as IIS answers raw NTLM. A client that insists on a final token (mutual authentication) needs Kerberos, which needs a KDC.',
    rfc: [rfc(4559, '5'), rfc(4178, '4.2.2'), msNlmp('1.3.1.1')],
  },
  {
    id: 'ntlm-connection-changed',
    family: 'ntlm',
    title: 'Type 3 on a new connection: the challenge is not there',
    trigger: {
      method: 'GET',
      path: NTLM_PATH,
      headers: { Authorization: `NTLM ${TYPE3_ELSEWHERE}` },
    },
    expect: { status: 401, code: 'ntlm_connection_changed', challenge: OFFER },
    explanation:
      'A well-formed AUTHENTICATE message with the demo account’s right password, answering a challenge issued on another connection. This is what a proxy that opens a new upstream connection mid-handshake produces (nginx’s upstream `keepalive` pool included: it does not pin a client’s connection to one upstream connection, and the deploy’s two instances do not share challenges), and a client that closes the connection after the first 401. The server cannot check the response without the challenge it answers, so it refuses and offers the schemes again: the client must start over on one connection.',
    rfc: problemCatalog.ntlm_connection_changed.rfc,
  },
  {
    id: 'ntlm-v1-refused',
    family: 'ntlm',
    title: 'An NTLMv1 response: refused whatever the password',
    trigger: { method: 'GET', path: NTLM_PATH, headers: { Authorization: `NTLM ${TYPE3_V1}` } },
    expect: { status: 401, code: 'ntlm_v1_refused', challenge: OFFER },
    explanation:
      'The response is 24 bytes: NTLMv1, DES over the unsalted NT hash. The server refuses it before looking for a challenge or a password, as a Windows domain at LmCompatibilityLevel 5 does: a captured NTLMv1 exchange gives the NT hash, which is as good as the password (pass-the-hash).',
    rfc: problemCatalog.ntlm_v1_refused.rfc,
  },
  {
    id: 'ntlm-wrong-password',
    family: 'ntlm',
    title: 'The right handshake with the wrong password',
    trigger: {
      method: 'GET',
      path: NTLM_PATH,
      headers: { Authorization: `NTLM ${TYPE3_ELSEWHERE}` },
      fired: false,
      setup:
        'a wrong password is only told apart from a missing challenge on the connection that holds the challenge: `curl -i --ntlm -u my_username:wrong <server>/ntlm/resource`. test/scenario-setups.test.ts runs it.',
    },
    expect: { status: 401, code: 'ntlm_credentials_invalid', challenge: OFFER },
    explanation:
      'The type 3 answers this connection’s challenge, but its NTProofStr is not the HMAC-MD5 the password makes. The challenge is spent, and the refusal counts against the address’s budget of refused credentials (429 past it).',
    rfc: problemCatalog.ntlm_credentials_invalid.rfc,
  },
  {
    id: 'ntlm-unknown-user',
    family: 'ntlm',
    title: 'A user the domain does not have: the same answer',
    trigger: {
      method: 'GET',
      path: NTLM_PATH,
      headers: { Authorization: `NTLM ${TYPE3_ELSEWHERE}` },
      fired: false,
      setup:
        '`curl -i --ntlm -u nobody:my_password <server>/ntlm/resource` completes the handshake on one connection; test/scenario-setups.test.ts runs it.',
    },
    expect: { status: 401, code: 'ntlm_credentials_invalid', challenge: OFFER },
    explanation:
      'Exactly the wrong password’s answer, as Windows gives STATUS_LOGON_FAILURE for both: a guesser learns nothing about which accounts exist.',
    rfc: problemCatalog.ntlm_credentials_invalid.rfc,
  },
  {
    id: 'negotiate-kerberos-ticket',
    family: 'ntlm',
    title: 'A Kerberos AP-REQ under Negotiate: no KDC here',
    trigger: {
      method: 'GET',
      path: NEGOTIATE_PATH,
      headers: { Authorization: `Negotiate ${KERBEROS_AP_REQ}` },
    },
    expect: { status: 401, code: 'negotiate_kerberos_unavailable', challenge: 'NTLM' },
    explanation:
      'What a client with a Kerberos ticket for HTTP/<host> sends first: a GSS-API token naming Kerberos V5 (0x60, OID 1.2.840.113554.1.2.2, an AP-REQ). Reading it needs the service’s key, shared with the KDC that issued the ticket; this server has none, says so with its own code, and offers NTLM.',
    rfc: problemCatalog.negotiate_kerberos_unavailable.rfc,
  },
  {
    id: 'negotiate-spnego-kerberos',
    family: 'ntlm',
    title: 'A SPNEGO NegTokenInit proposing Kerberos',
    trigger: {
      method: 'GET',
      path: NTLM_PATH,
      headers: { Authorization: `Negotiate ${SPNEGO_INIT}` },
    },
    expect: { status: 401, code: 'negotiate_kerberos_unavailable', challenge: 'NTLM' },
    explanation:
      'What Chrome, Edge or Firefox on a domain-joined machine send (RFC 4178 §4.2.1): SPNEGO (OID 1.3.6.1.5.5.2) listing MS-Kerberos, Kerberos and NTLMSSP. A SPNEGO server would pick a mechanism and answer with a NegTokenResp; this one reads raw NTLM only and answers with an NTLM challenge, which those browsers follow with plain NTLM. `curl --negotiate` on a machine without a ticket (no Kerberos credentials, no gss-ntlmssp) sends nothing at all: it reads the 401 and stops.',
    rfc: [rfc(4178, '4.2.1'), rfc(4559, '4.2'), rfc(2743, '3.1')],
  },
  {
    id: 'ntlm-malformed-token',
    family: 'ntlm',
    title: 'NTLM with no token',
    trigger: { method: 'GET', path: NTLM_PATH, headers: { Authorization: 'NTLM' } },
    expect: { status: 400, code: 'ntlm_malformed', challenge: null },
    explanation:
      'The scheme without its message. A broken request is a 400 without a challenge: nothing is stored, no challenge spent.',
    rfc: problemCatalog.ntlm_malformed.rfc,
  },
  {
    id: 'ntlm-truncated-message',
    family: 'ntlm',
    title: 'A truncated AUTHENTICATE message',
    trigger: {
      method: 'GET',
      path: NTLM_PATH,
      headers: { Authorization: `NTLM ${TYPE3_TRUNCATED}` },
    },
    expect: { status: 400, code: 'ntlm_malformed', challenge: null },
    explanation:
      'The first 64 bytes of a type 3 message: its security buffers (length, offset) point past the end. Every field is bounds-checked before it is read; a message that lies about its layout is a 400, never a crash.',
    rfc: problemCatalog.ntlm_malformed.rfc,
  },
  {
    id: 'ntlm-basic-sent',
    family: 'ntlm',
    title: 'Basic credentials at a Negotiate/NTLM resource',
    trigger: {
      method: 'GET',
      path: NTLM_PATH,
      headers: { Authorization: 'Basic bXlfdXNlcm5hbWU6bXlfcGFzc3dvcmQ=' },
    },
    expect: { status: 401, code: 'ntlm_credentials_missing', challenge: OFFER },
    explanation:
      'The right user and password, in a scheme this resource does not take: as for no credentials, 401 with the schemes it does take (RFC 9110 §11.6.1). IIS behaves so when only Windows authentication is enabled.',
    rfc: [rfc(9110, '11.6.1'), rfc(4559, '4.1')],
  },
];
