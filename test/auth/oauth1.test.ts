import fc from 'fast-check';
import {
  baseStringUri,
  checkOauth1Request,
  DEMO_OAUTH1_CONSUMER_KEY,
  DEMO_OAUTH1_CONSUMER_SECRET,
  DEMO_OAUTH1_REVOKED_TOKEN,
  DEMO_OAUTH1_TOKEN,
  DEMO_OAUTH1_TOKEN_SECRET,
  hmacSignature,
  normalizeParameters,
  parseForm,
  parseOauthHeader,
  rfc3986Encode,
  signatureBaseString,
  signingKey,
  utf8,
  WRONG_ENCODINGS,
  type Oauth1Param,
  type Oauth1Request,
} from '../../src/auth/oauth1';

const text = (p: Oauth1Param) => [p.name.toString(), p.value.toString(), p.source];

describe('RFC 5849 §3.4.1.1: the example signature base string', () => {
  // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b with body c2&a3=2+q, as the RFC writes it.
  const header = parseOauthHeader(
    ' realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
  )!;
  const params = [
    ...header,
    ...parseForm('b5=%3D%253D&a3=a&c%40=&a2=r%20b', 'query')!,
    ...parseForm('c2&a3=2+q', 'body')!,
  ];

  it('reads the header without realm, values percent-decoded', () => {
    expect(header.map(text)).toContainEqual([
      'oauth_signature',
      'bYT5CMsGcbgUdFHObYMEfcx6bsw=',
      'header',
    ]);
    expect(header.map((p) => p.name.toString())).not.toContain('realm');
  });

  it('normalizes the parameters as §3.4.1.3.2 shows', () => {
    expect(normalizeParameters(params)).toBe(
      'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7',
    );
  });

  it('builds the base string byte for byte', () => {
    expect(signatureBaseString('POST', 'http://example.com/request', params)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });
});

describe('RFC 5849 §1.2: the example request to photos.example.net', () => {
  it('is signed MdpQcU8iPSUjWoN/UDMsK2sui9I=', () => {
    const params = [
      ...parseOauthHeader(
        ' realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH"',
      )!,
      ...parseForm('file=vacation.jpg&size=original', 'query')!,
    ];
    const base = signatureBaseString(
      'GET',
      baseStringUri('http', 'photos.example.net', '/photos'),
      params,
    );
    expect(
      hmacSignature('HMAC-SHA1', base, signingKey('kd94hf93k423kf44', 'pfkkdhi9sl3r4s00')),
    ).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
  });
});

describe('RFC 5849 §3.4.1.2: the base string URI', () => {
  it.each([
    ['HTTP', 'EXAMPLE.COM:80', '/r%20v/X', 'http://example.com/r%20v/X'],
    ['https', 'www.example.net:8080', '/', 'https://www.example.net:8080/'],
    ['https', 'www.example.net:443', '', 'https://www.example.net/'],
    ['http', '127.0.0.1:3000', '/oauth1/resource', 'http://127.0.0.1:3000/oauth1/resource'],
    ['http', '[::1]:80', '/x', 'http://[::1]/x'],
  ])('%s://%s%s is %s', (scheme, host, path, expected) => {
    expect(baseStringUri(scheme, host, path)).toBe(expected);
  });
});

describe('RFC 5849 §3.6: percent-encoding', () => {
  it.each([
    ['abcABC123-._~', 'abcABC123-._~'],
    ["!*'() +&=", '%21%2A%27%28%29%20%2B%26%3D'],
    ['é', '%C3%A9'],
    ['☃', '%E2%98%83'],
  ])('%s → %s', (raw, encoded) => {
    expect(rfc3986Encode(utf8(raw))).toBe(encoded);
  });

  it('knows the wrong encodings: encodeURIComponent and the form encoding', () => {
    const [jsComponent, form] = WRONG_ENCODINGS;
    expect(jsComponent!.encode(utf8("a b!*'()~"))).toBe(encodeURIComponent("a b!*'()~"));
    expect(form!.encode(utf8('a b!*~'))).toBe(
      new URLSearchParams({ x: 'a b!*~' }).toString().slice(2),
    );
  });
});

describe('parseOauthHeader', () => {
  it.each([
    '',
    ' oauth_consumer_key=unquoted',
    ' oauth_consumer_key="a" oauth_token="b"',
    ' oauth_consumer_key="%zz"',
    ' oauth_consumer_key="a\\"b"',
    ' ="a"',
  ])('refuses %p', (rest) => {
    expect(parseOauthHeader(rest)).toBeUndefined();
  });

  it('takes optional whitespace around = and ,', () => {
    expect(parseOauthHeader(' a = "1" ,b="2",  c="%20"')!.map(text)).toEqual([
      ['a', '1', 'header'],
      ['b', '2', 'header'],
      ['c', ' ', 'header'],
    ]);
  });
});

// --- checkOauth1Request ---------------------------------------------------------------------------

const NOW = 1_795_000_000;
const URI = 'http://127.0.0.1:3000/oauth1/resource';

/** A request signed as a client would, then changed by `alter`. */
function signed(
  options: {
    params?: Record<string, string | undefined>;
    query?: string;
    tokenSecret?: string;
    encode?: (b: Buffer) => string;
  } = {},
): Oauth1Request {
  const oauth: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    oauth_consumer_key: DEMO_OAUTH1_CONSUMER_KEY,
    oauth_token: DEMO_OAUTH1_TOKEN,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(NOW),
    oauth_nonce: 'n0nce',
    oauth_version: '1.0',
    ...options.params,
  })) {
    if (v !== undefined) oauth[k] = v;
  }
  const query = options.query ?? '';
  const encode = options.encode ?? rfc3986Encode;
  const params = [
    ...Object.entries(oauth).map(([n, v]): Oauth1Param => ({
      name: utf8(n),
      value: utf8(v),
      source: 'header',
    })),
    ...parseForm(query, 'query')!,
  ];
  const base = signatureBaseString('GET', URI, params, encode);
  const key = signingKey(
    DEMO_OAUTH1_CONSUMER_SECRET,
    options.tokenSecret ?? DEMO_OAUTH1_TOKEN_SECRET,
    encode,
  );
  const signature =
    options.params && 'oauth_signature' in options.params
      ? options.params.oauth_signature
      : hmacSignature('HMAC-SHA1', base, key);
  const header = Object.entries({
    ...oauth,
    ...(signature === undefined ? {} : { oauth_signature: signature }),
  })
    .map(([n, v]) => `${rfc3986Encode(utf8(n))}="${rfc3986Encode(utf8(v))}"`)
    .join(', ');
  return {
    method: 'GET',
    authorization: `OAuth realm="four-oh-one", ${header}`,
    query,
    formBody: undefined,
    uris: [URI],
    secure: false,
    nowSeconds: NOW,
  };
}

const codeOf = (req: Oauth1Request) => {
  const r = checkOauth1Request(req);
  return 'code' in r ? r.code : 'ok';
};

describe('checkOauth1Request', () => {
  it('takes a request signed with the demo credentials', () => {
    expect(checkOauth1Request(signed({ query: 'a=b%20c' }))).toMatchObject({
      consumerKey: DEMO_OAUTH1_CONSUMER_KEY,
      token: DEMO_OAUTH1_TOKEN,
      method: 'HMAC-SHA1',
      transmission: 'header',
    });
  });

  it('takes a request signed with the client credentials alone (two-legged)', () => {
    expect(
      checkOauth1Request(signed({ params: { oauth_token: undefined }, tokenSecret: '' })),
    ).toMatchObject({
      token: '',
    });
  });

  it('takes the signature over any of its URIs (as received, as under PUBLIC_URL)', () => {
    const req = signed();
    expect(codeOf({ ...req, uris: ['http://10.0.0.7:8080/oauth1/resource', URI] })).toBe('ok');
  });

  it.each([
    ['no credentials', { ...signed(), authorization: undefined }, 'oauth1_credentials_missing'],
    ['another scheme', { ...signed(), authorization: 'Bearer x' }, 'oauth1_credentials_missing'],
    ['an unreadable header', { ...signed(), authorization: 'OAuth x' }, 'oauth1_request_malformed'],
    ['a broken % in the query', { ...signed(), query: 'a=%G0' }, 'oauth1_request_malformed'],
    ['oauth_version 2.0', signed({ params: { oauth_version: '2.0' } }), 'oauth1_request_malformed'],
    [
      'a timestamp in ms with a dot',
      signed({ params: { oauth_timestamp: '1.5' } }),
      'oauth1_request_malformed',
    ],
    [
      'a 129-character nonce',
      signed({ params: { oauth_nonce: 'n'.repeat(129) } }),
      'oauth1_request_malformed',
    ],
    [
      'a nonce in the query too',
      { ...signed(), query: 'oauth_nonce=x' },
      'oauth1_parameter_duplicated',
    ],
    [
      'no signature',
      signed({ params: { oauth_signature: undefined } }),
      'oauth1_parameter_missing',
    ],
    ['no nonce', signed({ params: { oauth_nonce: undefined } }), 'oauth1_parameter_missing'],
    [
      'RSA-SHA256',
      signed({ params: { oauth_signature_method: 'RSA-SHA256' } }),
      'oauth1_signature_method_unsupported',
    ],
    [
      'PLAINTEXT over http',
      signed({ params: { oauth_signature_method: 'PLAINTEXT' } }),
      'oauth1_signature_method_unsupported',
    ],
    [
      'an unknown consumer key',
      signed({ params: { oauth_consumer_key: 'x' } }),
      'oauth1_consumer_unknown',
    ],
    ['an unknown token', signed({ params: { oauth_token: 'x' } }), 'oauth1_token_unknown'],
    [
      'the revoked token',
      signed({ params: { oauth_token: DEMO_OAUTH1_REVOKED_TOKEN } }),
      'oauth1_token_revoked',
    ],
    [
      'a timestamp 301 s old',
      signed({ params: { oauth_timestamp: String(NOW - 301) } }),
      'oauth1_timestamp_invalid',
    ],
    [
      'a timestamp 301 s ahead',
      signed({ params: { oauth_timestamp: String(NOW + 301) } }),
      'oauth1_timestamp_invalid',
    ],
    ['a wrong token secret', signed({ tokenSecret: 'wrong' }), 'oauth1_signature_invalid'],
    [
      'another URI',
      { ...signed(), uris: ['https://127.0.0.1:3000/oauth1/resource'] },
      'oauth1_signature_invalid',
    ],
    ['a query it did not sign', { ...signed(), query: 'extra=1' }, 'oauth1_signature_invalid'],
  ] as const)('refuses %s', (_name, req, code) => {
    expect(codeOf(req)).toBe(code);
  });

  it('takes timestamps 300 s off either way', () => {
    expect(codeOf(signed({ params: { oauth_timestamp: String(NOW - 300) } }))).toBe('ok');
    expect(codeOf(signed({ params: { oauth_timestamp: String(NOW + 300) } }))).toBe('ok');
  });

  it('takes PLAINTEXT over https, without timestamp and nonce', () => {
    const plaintext = `${DEMO_OAUTH1_CONSUMER_SECRET}&${DEMO_OAUTH1_TOKEN_SECRET}`;
    const req = signed({
      params: {
        oauth_signature_method: 'PLAINTEXT',
        oauth_timestamp: undefined,
        oauth_nonce: undefined,
        oauth_signature: plaintext,
      },
    });
    expect(codeOf({ ...req, secure: true })).toBe('ok');
    const wrong = signed({
      params: { oauth_signature_method: 'PLAINTEXT', oauth_signature: `${plaintext}x` },
    });
    expect(codeOf({ ...wrong, secure: true })).toBe('oauth1_signature_invalid');
  });

  describe('a signature over a wrongly encoded base string', () => {
    const query = 'status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21';
    it.each(WRONG_ENCODINGS.map((e) => [e.name, e] as const))('names %s', (_name, wrong) => {
      const r = checkOauth1Request(signed({ query, encode: wrong.encode }));
      expect(r).toMatchObject({ code: 'oauth1_signature_encoding' });
      expect((r as { detail: string }).detail).toContain(wrong.name);
    });

    it('is an ordinary bad signature when nothing in the request encodes differently', () => {
      const [, form] = WRONG_ENCODINGS;
      // Signed with the form encoding, but nothing in it differs, so the signature is right.
      expect(codeOf(signed({ query: 'a=b', encode: form!.encode }))).toBe('ok');
      expect(codeOf(signed({ query: 'a=b', tokenSecret: 'x', encode: form!.encode }))).toBe(
        'oauth1_signature_invalid',
      );
    });
  });

  it('never throws, whatever the header, query and body hold', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'OAuth ',
        'oauth_',
        '="',
        '"',
        ',',
        '%',
        '%2',
        '%E2%98',
        '+',
        '&',
        '=',
        'realm',
      ),
    );
    const textOf = fc.array(piece, { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(
      fc.property(textOf, textOf, fc.option(textOf), fc.boolean(), (auth, query, body, secure) => {
        const r = checkOauth1Request({
          method: 'POST',
          authorization: `OAuth ${auth}`,
          query,
          formBody: body ?? undefined,
          uris: [URI],
          secure,
          nowSeconds: NOW,
        });
        expect('code' in r).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
