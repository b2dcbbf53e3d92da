import { describe, expect, it } from 'vitest';
import { fieldLabel, formatAgo, formatCityTime, formatField, translator } from '../../../client/i18n/format.js';
import { en, interpolate, vi } from '../../../client/i18n/messages.js';

const tVi = translator('vi');
const tEn = translator('en');

describe('messages', () => {
  it('has the same keys in Vietnamese and English, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
    for (const table of [vi, en]) for (const text of Object.values(table)) expect(text.trim()).not.toBe('');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(interpolate('{n} phút trước', { n: 5 })).toBe('5 phút trước');
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});

describe('formatField', () => {
  it('writes numbers in the locale with the field unit', () => {
    expect(formatField('pm25', 42.25, 'vi', tVi)).toBe('42,3 µg/m³');
    expect(formatField('pm25', 42.25, 'en', tEn)).toBe('42.3 µg/m³');
    expect(formatField('avgWait', 12, 'vi', tVi)).toBe('12 phút');
    expect(formatField('avgWait', 12, 'en', tEn)).toBe('12 min');
    expect(formatField('flow', 1234.5, 'en', tEn)).toBe('1,234.5 veh/min');
    expect(formatField('mystery', 1.234, 'en', tEn)).toBe('1.23');
  });

  it('translates booleans and known string values, passes others through', () => {
    expect(formatField('open', true, 'vi', tVi)).toBe('Có');
    expect(formatField('status', 'enroute', 'en', tEn)).toBe('On a call');
    expect(formatField('route', '03', 'en', tEn)).toBe('03');
    expect(formatField('pm25', null, 'en', tEn)).toBe('—');
  });

  it('labels known fields and keeps unknown names', () => {
    expect(fieldLabel('bedsFree', tVi)).toBe('Giường trống');
    expect(fieldLabel('bedsFree', tEn)).toBe('Free beds');
    expect(fieldLabel('co2', tEn)).toBe('co2');
  });
});

describe('time', () => {
  it('shows the clock on Vietnam time (UTC+7) whatever the machine zone is', () => {
    const noonUtc = Date.UTC(2026, 10, 28, 5, 6, 7);
    expect(formatCityTime(noonUtc, 'vi')).toBe('12:06:07');
    expect(formatCityTime(noonUtc, 'en')).toBe('12:06:07');
  });

  it('says how long ago at a glance', () => {
    expect(formatAgo(1000, tEn)).toBe('just now');
    expect(formatAgo(42_000, tEn)).toBe('42 s ago');
    expect(formatAgo(5 * 60_000, tVi)).toBe('5 phút trước');
    expect(formatAgo(3 * 3_600_000, tEn)).toBe('3 h ago');
    expect(formatAgo(3 * 86_400_000, tEn)).toBe('3 d ago');
  });
});
