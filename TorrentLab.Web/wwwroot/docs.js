// Renders /openapi/v1.json as a readable page: each operation with its parameters, bodies and responses, then the schemas.
'use strict';

const el = (tag, className, text) => {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
};

function table(headers, rows) {
  const t = el('table');
  const head = el('tr');
  for (const h of headers) head.append(el('th', '', h));
  t.append(el('thead'), el('tbody'));
  t.tHead.append(head);
  for (const row of rows) {
    const tr = el('tr');
    for (const cell of row) { const td = el('td'); if (typeof cell === 'string') td.textContent = cell; else td.append(cell); tr.append(td); }
    t.tBodies[0].append(tr);
  }
  return t;
}

// OpenAPI 3.1 writes "string or null" as a type list and "this object or null" as oneOf [null, $ref].
function nullable(schema) {
  if (Array.isArray(schema.type)) return schema.type.includes('null');
  return Array.isArray(schema.oneOf) && schema.oneOf.some((s) => s.type === 'null');
}

function schemaName(schema) {
  if (!schema) return '';
  const inner = schemaNameOf(schema);
  if (!nullable(schema)) return inner;
  const span = el('span');
  span.append(typeof inner === 'string' ? document.createTextNode(inner) : inner, document.createTextNode(' or null'));
  return span;
}

function schemaNameOf(schema) {
  if (Array.isArray(schema.oneOf)) {
    const other = schema.oneOf.find((s) => s.type !== 'null');
    return other ? schemaNameOf(other) : 'null';
  }
  const type = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null')[0] : schema.type;
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop();
    const a = el('a', '', name);
    a.href = '#schema-' + name;
    return a;
  }
  if (type === 'array') {
    const span = el('span');
    const inner = schemaName(schema.items);
    span.append(typeof inner === 'string' ? document.createTextNode(inner) : inner, document.createTextNode('[]'));
    return span;
  }
  return (type || 'any') + (schema.format ? ` (${schema.format})` : '');
}

async function load() {
  const response = await fetch('openapi/v1.json');
  const doc = await response.json();
  const intro = document.getElementById('intro');
  intro.append(el('h2', '', `${doc.info.title} ${doc.info.version}`), el('p', '', doc.info.description));

  const operations = document.getElementById('operations');
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const card = el('section', 'card op');
      const head = el('div', 'op-head');
      head.append(el('span', 'method ' + method, method), el('span', 'path', path), el('span', 'muted', op.summary || ''));
      card.append(head);
      if (op.parameters && op.parameters.length) {
        card.append(el('h4', '', 'Parameters'));
        card.append(table(['Name', 'In', 'Type', 'Required', 'Description'],
          op.parameters.map((p) => [p.name, p.in, schemaName(p.schema), p.required ? 'yes' : 'no', p.description || ''])));
      }
      if (op.requestBody) {
        card.append(el('h4', '', 'Request body'));
        if (op.requestBody.description) card.append(el('p', 'muted', op.requestBody.description));
        card.append(table(['Content type', 'Schema'],
          Object.entries(op.requestBody.content).map(([type, c]) => [type, schemaName(c.schema)])));
      }
      card.append(el('h4', '', 'Responses'));
      card.append(table(['Status', 'Description', 'Body'],
        Object.entries(op.responses).map(([status, r]) => [status, r.description,
          r.content ? schemaName(r.content['application/json'].schema) : ''])));
      operations.append(card);
    }
  }

  const schemas = document.getElementById('schemas');
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    const card = el('section', 'card schema');
    card.id = 'schema-' + name;
    card.append(el('h3', '', name));
    card.append(table(['Property', 'Type', 'Description'],
      Object.entries(schema.properties || {}).map(([prop, s]) => [prop, schemaName(s), s.description || ''])));
    schemas.append(card);
  }
}
load().catch((e) => { document.getElementById('intro').textContent = 'Could not load the OpenAPI document: ' + e.message; });
