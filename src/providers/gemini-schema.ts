// Gemini accepts only an OpenAPI subset of JSON Schema for function parameters and rejects the rest
// (`additionalProperties`, `$schema`, `const`, most `format`s…). This converts a neutral tool schema
// into that subset. It knows nothing about any SDK.

const KEEP = new Set([
  'type',
  'format',
  'description',
  'nullable',
  'enum',
  'items',
  'properties',
  'required',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'anyOf',
  'propertyOrdering',
]);
/** The only `format`s Gemini accepts, by type. */
const FORMATS: Record<string, string[]> = { string: ['enum', 'date-time'], integer: ['int32', 'int64'], number: ['float', 'double'] };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns a copy of `schema` holding only what Gemini accepts, recursively. */
export function toGeminiSchema(schema: unknown): Json {
  if (!isObject(schema)) return {};
  const src: Json = { ...schema };
  // `type: ["string", "null"]` → `type: "string", nullable: true`
  if (Array.isArray(src.type)) {
    const types = src.type.filter((t): t is string => typeof t === 'string');
    if (types.includes('null')) src.nullable = true;
    src.type = types.find((t) => t !== 'null') ?? 'string';
  }
  if ('const' in src && !('enum' in src)) src.enum = [src.const];
  // MCP servers' schemas (JSON Schema as zod or pydantic write it): `oneOf` read as `anyOf`, an `allOf`
  // merged into one object, and a missing `type` inferred where the shape says it.
  if (Array.isArray(src.oneOf) && !('anyOf' in src)) src.anyOf = src.oneOf;
  if (Array.isArray(src.allOf)) {
    for (const part of src.allOf.filter(isObject)) {
      if (isObject(part.properties)) src.properties = { ...(isObject(src.properties) ? src.properties : {}), ...part.properties };
      if (Array.isArray(part.required)) src.required = [...(Array.isArray(src.required) ? src.required : []), ...part.required];
      src.type ??= part.type;
      src.description ??= part.description;
    }
  }
  if (src.type === undefined && !Array.isArray(src.anyOf)) {
    if (isObject(src.properties)) src.type = 'object';
    else if ('items' in src) src.type = 'array';
    else if (Array.isArray(src.enum)) src.type = 'string';
  }
  if (Array.isArray(src.enum)) src.enum = src.enum.filter((v) => v !== null).map(String);

  const out: Json = {};
  for (const [key, value] of Object.entries(src)) {
    if (!KEEP.has(key)) continue;
    if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toGeminiSchema(s)]));
    } else if (key === 'items') {
      out.items = toGeminiSchema(value);
    } else if (key === 'anyOf' && Array.isArray(value)) {
      out.anyOf = value.map(toGeminiSchema);
    } else if (key === 'format') {
      if (typeof value === 'string' && FORMATS[String(src.type)]?.includes(value)) out.format = value;
    } else {
      out[key] = value;
    }
  }
  if (Array.isArray(out.required) && isObject(out.properties)) {
    const props = out.properties;
    out.required = out.required.filter((r) => typeof r === 'string' && r in props);
  }
  return out;
}

/** True when the schema declares no arguments (Gemini rejects an OBJECT with empty `properties`). */
export function hasNoArguments(schema: Json): boolean {
  return schema.type === 'object' && (!isObject(schema.properties) || Object.keys(schema.properties).length === 0);
}
