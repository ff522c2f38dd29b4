import { ConfigError, loadConfig } from '../../src/config/app-config';

describe('configuration: HOST', () => {
  it('listens on loopback unless told otherwise (unset or empty)', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '' }).HOST).toBe('127.0.0.1');
  });

  it.each(['0.0.0.0', '::', '::1', 'localhost', 'api.internal', '10.1.2.3', 'fe80::1'])('accepts %s', (host) => {
    expect(loadConfig({ HOST: host }).HOST).toBe(host);
  });

  it.each(['bad host', 'http://0.0.0.0', '0.0.0.0:3000x', '-edge', 'a..b'])('refuses %j, naming the key', (host) => {
    expect(() => loadConfig({ HOST: host })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: host })).toThrow('invalid configuration: HOST must be a host name or an IP address to listen on');
  });
});
