import { describe, expect, it } from 'vitest';
import { besideField, checkEndpoint, checkName, checkWholeNumber, readWholeNumber } from './forms';

describe('checkWholeNumber', () => {
  const rule = { min: 1, max: 100, message: 'a whole number from 1 to 100' };

  it('takes an empty optional field and whole numbers in range', () => {
    expect(checkWholeNumber('', false, rule)).toBeNull();
    expect(checkWholeNumber(' 7 ', false, rule)).toBeNull();
    expect(checkWholeNumber('100', false, rule)).toBeNull();
  });

  it('refuses fractions, numbers out of range, and what the browser could not read', () => {
    expect(checkWholeNumber('1.5', false, rule)).toBe(rule.message);
    expect(checkWholeNumber('0', false, rule)).toBe(rule.message);
    expect(checkWholeNumber('101', false, rule)).toBe(rule.message);
    expect(checkWholeNumber('', true, rule)).toBe(rule.message);
  });

  it('refuses an empty field that is not optional', () => {
    expect(checkWholeNumber('', false, { ...rule, optional: false })).toBe(rule.message);
  });
});

describe('readWholeNumber', () => {
  it('reads empty as undefined and anything else but a whole number as null', () => {
    expect(readWholeNumber('', false)).toBeUndefined();
    expect(readWholeNumber('42', false)).toBe(42);
    expect(readWholeNumber('-1', false)).toBeNull();
    expect(readWholeNumber('2.5', false)).toBeNull();
    expect(readWholeNumber('', true)).toBeNull();
  });
});

describe('checkName', () => {
  it('takes letters, digits, dots, underscores and dashes', () => {
    expect(checkName('gpu-2.internal_1', 'The name')).toBeNull();
  });

  it('says what is wrong', () => {
    expect(checkName('  ', 'The name')).toMatch(/Enter a name/);
    expect(checkName('gpu 2', 'The name')).toMatch(/only letters/);
    expect(checkName('x'.repeat(65), 'The name')).toMatch(/at most 64/);
  });
});

describe('checkEndpoint', () => {
  it('takes an http or https address ending in /v1', () => {
    expect(checkEndpoint('http://127.0.0.1:9/v1')).toBeNull();
    expect(checkEndpoint('https://api.example.com/openai/v1/')).toBeNull();
  });

  it('refuses a missing scheme, another scheme, or another path, naming /v1', () => {
    for (const bad of ['', 'gpu-2:8000', 'gpu-2.internal:8000', 'ftp://host/v1', 'http://host:8000', 'http://host/v2']) {
      expect(checkEndpoint(bad), bad).toMatch(/\/v1/);
    }
  });
});

describe('besideField', () => {
  it('drops the settings path the field beside it already shows', () => {
    expect(besideField('settings field `planned_hardware` is not a hardware spec: use 2xL40S')).toBe('Is not a hardware spec: use 2xL40S');
    expect(besideField('settings field `deployments[0].replicas[0].endpoint` `http://h:9/v1` is listed twice')).toBe('`http://h:9/v1` is listed twice');
    expect(besideField('the gateway could not move')).toBe('the gateway could not move');
  });
});
