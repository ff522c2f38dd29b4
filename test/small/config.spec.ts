import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig, ConfigError, loadConfig } from '../../src/config/app-config';

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

describe('configuration: the documented keys', () => {
  it('config/ocrecon.env.example names every key that has a default, with its default', () => {
    const example = readFileSync(join(__dirname, '..', '..', 'config', 'ocrecon.env.example'), 'utf8');
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    const keys = Object.keys(new AppConfig()).filter((k) => defaults[k] !== undefined && defaults[k] !== '');
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) {
      const line = new RegExp(`^#? ?${key}=(.*)$`, 'm').exec(example);
      expect([key, line !== null]).toEqual([key, true]);
      // the example's value is the default (where it is written out)
      if (line && line[1] !== '' && !line[0].startsWith('#')) expect([key, String(defaults[key])]).toEqual([key, line[1].trim()]);
    }
  });
});
