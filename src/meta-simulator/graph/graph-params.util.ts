import { isJsonObject } from 'src/meta-simulator/http-io.util';
import type { JsonObject, JsonValue } from 'src/meta-simulator/meta-simulator.types';

import { GraphApiError } from './graph-api.error';

/** One entry of a list edge's `filtering` parameter (§2.10, §4.1). */
export interface GraphFilter {
  field: string;
  operator: string;
  value: JsonValue;
}

/** The digits of a phone number or id. */
export function digits(value: string): string {
  return value.replace(/\D/g, '');
}

/** A scalar parameter as text; objects and arrays are not text. */
export function asString(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}

/** A boolean parameter as Graph reads it (`true`/`1`, `false`/`0`); undefined for anything else. */
export function asBoolean(value: JsonValue | undefined): boolean | undefined {
  if (typeof value === 'boolean') {
    return value;
  }
  if (value === 'true' || value === '1') {
    return true;
  }
  if (value === 'false' || value === '0') {
    return false;
  }
  return undefined;
}

/** Text of a scalar for comparisons; objects and arrays compare as JSON. */
function scalarText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The `sort` parameter as text: it comes bare or as a JSON array (§4.1); both forms are accepted. */
export function sortText(params: JsonObject): string | undefined {
  const sort = params.sort;
  return Array.isArray(sort) ? sort.map(scalarText).join(',') : asString(sort);
}

function parseJsonParam(raw: string, name: string): JsonValue {
  try {
    // Meta's own examples use single quotes inside filtering (§2.10).
    return JSON.parse(raw.replace(/'/g, '"')) as JsonValue;
  } catch {
    throw GraphApiError.invalidParameter(`(#100) Param ${name} must be a JSON array`);
  }
}

/** The `filtering` parameter of a list edge; throws code 100 for a malformed one. */
export function parseFilters(raw: JsonValue | undefined): GraphFilter[] {
  if (raw === undefined) {
    return [];
  }
  const parsed = typeof raw === 'string' ? parseJsonParam(raw, 'filtering') : raw;
  if (!Array.isArray(parsed)) {
    throw GraphApiError.invalidParameter('(#100) Param filtering must be an array');
  }
  return parsed.map((item) => {
    if (!isJsonObject(item) || typeof item.field !== 'string' || typeof item.operator !== 'string') {
      throw GraphApiError.invalidParameter('(#100) Each filtering entry needs field, operator and value');
    }
    return { field: item.field, operator: item.operator.toUpperCase(), value: item.value ?? null };
  });
}

function matchesFilter(actual: JsonValue | undefined, operator: string, expected: JsonValue): boolean {
  const text = scalarText(actual);
  const list = Array.isArray(expected) ? expected.map(scalarText) : [];
  switch (operator) {
    case 'EQUAL':
      return text === scalarText(expected);
    case 'NOT_EQUAL':
      return text !== scalarText(expected);
    case 'IN':
      return list.includes(text);
    case 'NOT_IN':
      return !list.includes(text);
    case 'GREATER_THAN':
      return Number(text) > Number(scalarText(expected));
    case 'LESS_THAN':
      return Number(text) < Number(scalarText(expected));
    default:
      throw GraphApiError.invalidParameter(`(#100) Unsupported filtering operator ${operator}`);
  }
}

/**
 * True when a list item passes every filter. `renderField` renders the item with only that field selected,
 * so a filter compares exactly what a read of the field would answer.
 */
export function passesFilters(filters: GraphFilter[], renderField: (field: string) => JsonObject): boolean {
  return filters.every((filter) =>
    matchesFilter(renderField(filter.field)[filter.field], filter.operator, filter.value),
  );
}
