// A real OpenID Connect provider (the OpenID-certified `oidc-provider`) for the SSO tests.
//
// Started by tests/support/oidc_provider.py on a free port with one client registered for the
// test stack's redirect URI and a few users whose login form the browser fills (a password
// checked, unlike the package's development-only forms). POST /__test__/tamper makes it answer
// the next sign-ins as a broken or hostile provider would (a wrong state, nonce, audience,
// issuer or signature), so the tests can show that the site refuses each one.
import http from 'node:http';
import { parse } from 'node:querystring';

import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_TEST_PORT);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.OIDC_TEST_REDIRECT_URI;
const clientId = process.env.OIDC_TEST_CLIENT_ID;
const clientSecret = process.env.OIDC_TEST_CLIENT_SECRET;
// {"login": {"password": ..., "sub": ..., "email": ..., "name": ...}}
const users = JSON.parse(process.env.OIDC_TEST_USERS);

const signing = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(signing.privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
const stranger = await generateKeyPair('RS256');  // signs "forged" tokens under the real key's id

let tamper = '';
// What the provider says about a subject now: the record last signed in with (two logins with one
// subject stand for one person whose e-mail address changed).
const current = {};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri],
    response_types: ['code'], grant_types: ['authorization_code'],
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const user = current[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: user.email, email_verified: true, name: user.name, preferred_username: user.login };
      },
    };
  },
});

async function forge(idToken) {
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  let key = signing.privateKey;
  if (tamper === 'wrong-nonce') claims.nonce = 'a-nonce-this-site-never-sent';
  else if (tamper === 'wrong-audience') { claims.aud = 'another-client'; claims.azp = 'another-client'; }
  else if (tamper === 'wrong-issuer') claims.iss = 'http://127.0.0.1:1';
  else if (tamper === 'forged-signature') key = stranger.privateKey;
  else if (tamper === 'expired') { claims.iat -= 7200; claims.exp = claims.iat + 600; }
  else return idToken;
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route === 'token' && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token) };
  }
  const location = ctx.response.get('location');
  if (tamper === 'wrong-state' && location.startsWith(redirectUri)) {
    const url = new URL(location);
    url.searchParams.set('state', 'a-state-this-browser-never-had');
    ctx.redirect(url.href);
  }
});

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><title>Test provider</title></head><body>${body}</body></html>`);
}

function loginForm(uid, error) {
  return `<h1>Test university sign-in</h1>${error ? `<p id="error">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}">
<label>Login <input id="login" name="login" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="sign-in" type="submit">Sign in</button></form>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return parse(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') return page(res, 200, loginForm(uid, ''));
  const form = await readForm(req);
  const user = users[form.login];
  if (!user || user.password !== form.password) return page(res, 200, loginForm(uid, 'Wrong login or password.'));
  current[user.sub] = user;
  // The course's own client: consent is implied, as a university's provider does for its own services.
  const grant = new provider.Grant({ accountId: user.sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { login: { accountId: user.sub }, consent: { grantId } },
    { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (match) return await interaction(req, res, match[1]);
    if (url.pathname === '/__test__/tamper' && req.method === 'POST') {
      tamper = (await readForm(req)).mode || '';
      res.writeHead(204);
      return res.end();
    }
    return callback(req, res);
  } catch (err) {
    console.error(err);
    return page(res, 500, `<p>provider error: ${String(err.message).replace(/</g, '&lt;')}</p>`);
  }
}).listen(port, '127.0.0.1', () => console.log(`oidc test provider listening on ${issuer}`));
