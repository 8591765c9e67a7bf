/**
 * Everyday names people type that IANA registers under another name. This is not from
 * the registry (that is data/services.json); keep it to names whose meaning is not in
 * doubt, and map each to a registered name.
 */
export const SERVICE_ALIASES: Readonly<Record<string, string>> = {
  dns: 'domain',
  rdp: 'ms-wbt-server',
  smb: 'microsoft-ds',
  postgres: 'postgresql',
  vnc: 'rfb',
  mssql: 'ms-sql-s',
  etcd: 'etcd-client',
};
