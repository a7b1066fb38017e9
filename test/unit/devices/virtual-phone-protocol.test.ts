import { describe, expect, it } from 'vitest';
import { A_CNXN, A_WRTE, ByteQueue, MessageDecoder, commandName, encodeMessage } from '../../virtual-phone/protocol.js';
import { isCool } from '../../../src/main/engine/devices/thermal.js';

describe('virtual phone adb framing', () => {
  it('encodes the 24-byte header with magic and decodes messages split across chunks', () => {
    const msg = encodeMessage(A_WRTE, 7, 9, Buffer.from('hello'));
    expect(msg.length).toBe(29);
    expect(msg.readUInt32LE(20)).toBe((A_WRTE ^ 0xffffffff) >>> 0);
    expect(msg.readUInt32LE(16)).toBe([...Buffer.from('hello')].reduce((a, b) => a + b, 0));
    const d = new MessageDecoder();
    const two = Buffer.concat([msg, encodeMessage(A_CNXN, 0x01000001, 4096, Buffer.from('host::\0'))]);
    const out = [...d.push(two.subarray(0, 10)), ...d.push(two.subarray(10, 40)), ...d.push(two.subarray(40))];
    expect(out.map((m) => [commandName(m.command), m.arg0, m.arg1, m.data.toString()])).toEqual([
      ['WRTE', 7, 9, 'hello'],
      ['CNXN', 0x01000001, 4096, 'host::\0'],
    ]);
    const bad = Buffer.from(msg);
    bad.writeUInt32LE(0, 20);
    expect(() => new MessageDecoder().push(bad)).toThrow(/magic/);
  });

  it('ByteQueue reads exact lengths across pushes and ends cleanly', async () => {
    const q = new ByteQueue();
    const r = q.read(6);
    q.push(Buffer.from('abc'));
    q.push(Buffer.from('defg'));
    expect((await r)!.toString()).toBe('abcdef');
    const rest = q.read(2);
    q.end();
    expect(await rest).toBeNull();
  });
});

describe('thermal policy', () => {
  it('needs status ≤ max and battery below the threshold; unknowns do not block', () => {
    expect(isCool({ status: 0, batteryTempC: 31 })).toBe(true);
    expect(isCool({ status: 1, batteryTempC: 31 })).toBe(false);
    expect(isCool({ status: 1, batteryTempC: 31 }, { maxStatus: 1 })).toBe(true);
    expect(isCool({ status: 0, batteryTempC: 40 })).toBe(false);
    expect(isCool({ status: 0, batteryTempC: 44 }, { maxBatteryTempC: 45 })).toBe(true);
    expect(isCool({ status: null, batteryTempC: null })).toBe(true);
  });
});
