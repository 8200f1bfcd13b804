// Log in with a bearer token (a team token, or the admin token): it is sent once, to /ui/login, and the
// browser keeps only the HttpOnly session cookie the daemon sets.
import { login } from '../lib/api.js';
import { h } from '../lib/dom.js';

export function render(root, { message, onLogin }) {
  const input = h('input', {
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    placeholder: 'gs_…',
    'aria-label': 'token',
    'data-testid': 'login-token',
  });
  const status = h('p', { class: 'error', 'data-testid': 'login-error' }, message ?? '');
  const form = h(
    'form',
    { class: 'panel login', 'data-testid': 'login-form' },
    h('h1', {}, 'Log in'),
    h(
      'p',
      { class: 'muted' },
      'Paste a gpusched token: your team token (',
      h('code', {}, 'gpusched token create --team T'),
      ') or the admin token.',
    ),
    input,
    h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Log in'),
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.textContent = '';
    try {
      const session = await login(input.value.trim());
      input.value = '';
      onLogin(session);
    } catch (err) {
      status.textContent = err.status === 401 ? 'That token is not valid.' : `Login failed: ${err.message}`;
    }
  });
  root.append(form);
  input.focus();
}
