import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServerOnFreePort, type StartedServer } from './support';

const run = promisify(execFile);

/**
 * SCRAM over HTTP (RFC 7804) with an independent client against the built server: Perl's
 * Authen::SCRAM (Debian's libauthen-scram-perl) makes the RFC 5802 messages, checks the server's
 * v=, and HTTP::Tiny carries them. No HTTP SCRAM client exists (curl, requests, browsers): this is
 * the few lines of HTTP around a SASL library that any client needs.
 */
const PERL = `
use strict; use warnings;
use Authen::SCRAM::Client; use HTTP::Tiny; use MIME::Base64; use JSON::PP;
my ($url, $digest, $password) = @ARGV;
my $c = Authen::SCRAM::Client->new(username => 'user', password => $password, digest => $digest);
my $mech = "SCRAM-$digest";
my $http = HTTP::Tiny->new;
my $r1 = $http->get($url, { headers => { Authorization => "$mech data=" . encode_base64($c->first_msg, '') } });
my ($sid, $data) = $r1->{headers}{'www-authenticate'} =~ /sid=([^,\\s]+), data=(\\S+)/ or die "round 1: $r1->{status}";
my $r2 = $http->get($url, { headers => { Authorization => "$mech sid=$sid, data=" . encode_base64($c->final_msg(decode_base64($data)), '') } });
my $verified = JSON::PP::false;
if ($r2->{status} == 200) {
  my ($d) = $r2->{headers}{'authentication-info'} =~ /data=(\\S+)/;
  $verified = $c->validate(decode_base64($d)) ? JSON::PP::true : JSON::PP::false;
}
print encode_json({ first => 0 + $r1->{status}, status => 0 + $r2->{status}, verified => $verified, body => decode_json($r2->{content}) });
`;

describe('SCRAM over HTTP with Perl Authen::SCRAM, against the built server', () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startServerOnFreePort(
      { LOG_LEVEL: 'warn', CORS_DEMO_PORT: '0' },
      { healthz: true },
    );
  }, 30_000);
  afterAll(() => server.stop());

  const perl = (digest: string, password: string) =>
    run('perl', ['-e', PERL, `${server.url}/scram/resource`, digest, password], {
      env: { PATH: process.env.PATH ?? '' },
    }).then(({ stdout }) => JSON.parse(stdout) as Record<string, unknown>);

  it.each(['SHA-256', 'SHA-1'])(
    'completes SCRAM-%s and the client verifies the server',
    async (d) => {
      expect(await perl(d, 'pencil')).toEqual({
        first: 401,
        status: 200,
        verified: true,
        body: { authenticated: true, user: 'user', mechanism: `SCRAM-${d}` },
      });
    },
  );

  it('is refused with scram_proof_invalid for the wrong password', async () => {
    expect(await perl('SHA-256', 'crayon')).toMatchObject({
      first: 401,
      status: 401,
      verified: false,
      body: { code: 'scram_proof_invalid' },
    });
  });
});
