// Placeholder until the generated IANA table lands.
export function serviceNamesForPort(_port: number, _protocol: 'tcp' | 'udp' = 'tcp'): string[] {
  return [];
}
