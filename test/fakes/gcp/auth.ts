// Credentials for tests: an OAuth2Client holding a fake access token that never expires, so the SDKs
// send `Authorization: Bearer fake-token` and never try to refresh (which would reach Google).
import { OAuth2Client } from 'google-auth-library';

export function fakeAuthClient(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'fake-token', expiry_date: Date.now() + 24 * 3_600_000 });
  return client;
}
