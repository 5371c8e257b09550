/**
 * Finding Debian's nginx with the mail module, and saying how to get it when it is missing.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian builds the mail module as a dynamic module here (package libnginx-mod-mail). */
export const NGINX_MAIL_MODULE = '/usr/lib/nginx/modules/ngx_mail_module.so';

export const NGINX_INSTALL_HINT =
  'install it with: apt-get install nginx libnginx-mod-mail (as root; the bench starts private ' +
  'instances and never uses the system service)';

/** The nginx binary on PATH (sbin included), or null. */
export function findNginx(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, 'nginx');
    if (existsSync(p)) return p;
  }
  return null;
}

/** Null when nginx with the mail module is usable, else what is missing and how to install it. */
export function nginxProblem(): string | null {
  if (findNginx() === null) return `nginx was not found; ${NGINX_INSTALL_HINT}`;
  if (!existsSync(NGINX_MAIL_MODULE))
    return `nginx's mail module (${NGINX_MAIL_MODULE}) is missing; ${NGINX_INSTALL_HINT}`;
  return null;
}
