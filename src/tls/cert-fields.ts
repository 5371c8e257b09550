/**
 * The Auth-SSL-Subject, Auth-SSL-Issuer and Auth-SSL-Serial values of a client certificate, in OpenSSL's
 * formats (nginx: ngx_ssl_get_subject_dn / ngx_ssl_get_issuer_dn / ngx_ssl_get_serial_number).
 *
 * Owns: formatting a Name as X509_NAME_print_ex with XN_FLAG_RFC2253 does — last RDN first, `,` between
 * RDNs and `+` inside one, OpenSSL's short field names (dotted OID for unknown ones, whose value is then
 * `#` + the DER in hex), and the RFC 2253 escaping of ASN1_STRFLGS_RFC2253 (`\` before `"+,;<>\`, before a
 * leading `#` or space and a trailing space; `\XX` for control characters and for every byte of a non-ASCII
 * character in UTF-8); and the serial as i2a_ASN1_INTEGER prints it (uppercase hex, `-` if negative).
 * Also the subject's first CN (for the PROXY v2 SSL_CN TLV). Pure; works on the certificate's DER, because
 * Node's parsed subject loses RDN order and multi-valued RDNs.
 * Does not own: reading the certificate from a socket (client-cert.ts).
 */
import { children, oidText, readNode, TAG, type DerNode } from './der.js';

/** OpenSSL's short names (OBJ_nid2sn) for attribute types seen in certificate names. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.14': 'searchGuide',
  '2.5.4.15': 'businessCategory',
  '2.5.4.16': 'postalAddress',
  '2.5.4.17': 'postalCode',
  '2.5.4.18': 'postOfficeBox',
  '2.5.4.19': 'physicalDeliveryOfficeName',
  '2.5.4.20': 'telephoneNumber',
  '2.5.4.21': 'telexNumber',
  '2.5.4.22': 'teletexTerminalIdentifier',
  '2.5.4.23': 'facsimileTelephoneNumber',
  '2.5.4.24': 'x121Address',
  '2.5.4.25': 'internationaliSDNNumber',
  '2.5.4.26': 'registeredAddress',
  '2.5.4.27': 'destinationIndicator',
  '2.5.4.28': 'preferredDeliveryMethod',
  '2.5.4.29': 'presentationAddress',
  '2.5.4.30': 'supportedApplicationContext',
  '2.5.4.31': 'member',
  '2.5.4.32': 'owner',
  '2.5.4.33': 'roleOccupant',
  '2.5.4.34': 'seeAlso',
  '2.5.4.35': 'userPassword',
  '2.5.4.36': 'userCertificate',
  '2.5.4.37': 'cACertificate',
  '2.5.4.38': 'authorityRevocationList',
  '2.5.4.39': 'certificateRevocationList',
  '2.5.4.40': 'crossCertificatePair',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.45': 'x500UniqueIdentifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.47': 'enhancedSearchGuide',
  '2.5.4.48': 'protocolInformation',
  '2.5.4.49': 'distinguishedName',
  '2.5.4.50': 'uniqueMember',
  '2.5.4.51': 'houseIdentifier',
  '2.5.4.52': 'supportedAlgorithms',
  '2.5.4.53': 'deltaRevocationList',
  '2.5.4.54': 'dmdName',
  '2.5.4.65': 'pseudonym',
  '2.5.4.72': 'role',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.113549.1.9.2': 'unstructuredName',
  '1.2.840.113549.1.9.7': 'challengePassword',
  '1.2.840.113549.1.9.8': 'unstructuredAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.3': 'mail',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

const CN_OID = '2.5.4.3';

/** Bytes per character of the ASN.1 string types OpenSSL prints as text (its tag2nbyte table). */
const CHAR_WIDTH: Readonly<Record<number, 0 | 1 | 2 | 4>> = {
  12: 0, // UTF8String: printed byte by byte
  18: 1, // NumericString
  19: 1, // PrintableString
  20: 1, // T61String (taken as Latin-1)
  22: 1, // IA5String
  23: 1, // UTCTime
  24: 1, // GeneralizedTime
  26: 1, // VisibleString
  28: 4, // UniversalString
  30: 2, // BMPString
};

/** Characters escaped with a backslash under ASN1_STRFLGS_ESC_2253 (OpenSSL's char_type table). */
const BACKSLASH_ESCAPED = new Set([0x22, 0x2b, 0x2c, 0x3b, 0x3c, 0x3e, 0x5c]);

export interface CertFields {
  /** RFC 2253 subject, e.g. `CN=client,O=Org` */
  readonly subject: string;
  readonly issuer: string;
  /** uppercase hex, e.g. `0A1B` */
  readonly serial: string;
  /** the subject's first commonName as text (UTF-8), or null */
  readonly commonName: string | null;
}

/** Fields of a DER certificate. Throws DerError when the DER is malformed. */
export function certFields(der: Uint8Array): CertFields {
  const cert = readNode(der, 0);
  const [tbs] = children(der, cert);
  if (tbs?.tag !== TAG.SEQUENCE) throw new Error('certificate has no TBSCertificate');
  const parts = children(der, tbs);
  // [0] EXPLICIT version is optional (absent means v1)
  const base = parts[0]?.tag === TAG.CONTEXT_0 ? 1 : 0;
  const serial = parts[base];
  const issuer = parts[base + 2];
  const subject = parts[base + 4];
  if (serial?.tag !== TAG.INTEGER || issuer === undefined || subject === undefined) {
    throw new Error('certificate TBSCertificate is incomplete');
  }
  return {
    subject: formatName(der, subject),
    issuer: formatName(der, issuer),
    serial: formatSerial(der.subarray(serial.contentStart, serial.end)),
    commonName: firstValue(der, subject, CN_OID),
  };
}

interface NameEntry {
  readonly set: number;
  readonly oid: string;
  readonly value: DerNode;
}

function entries(der: Uint8Array, name: DerNode): NameEntry[] {
  const out: NameEntry[] = [];
  children(der, name).forEach((rdn, set) => {
    for (const atv of children(der, rdn)) {
      const [type, value] = children(der, atv);
      if (type?.tag !== TAG.OID || value === undefined) continue;
      out.push({ set, oid: oidText(der, type), value });
    }
  });
  return out;
}

/** nginx: X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) */
export function formatName(der: Uint8Array, name: DerNode): string {
  const list = entries(der, name).reverse();
  let out = '';
  let prev = -1;
  for (const e of list) {
    if (prev !== -1) out += prev === e.set ? '+' : ',';
    prev = e.set;
    const sn = SHORT_NAMES[e.oid];
    const width = CHAR_WIDTH[e.value.tag];
    if (sn === undefined || width === undefined) {
      // XN_FLAG_DUMP_UNKNOWN_FIELDS and ASN1_STRFLGS_DUMP_UNKNOWN|DUMP_DER: `#` + the element's DER
      out += `${sn ?? e.oid}=#${Buffer.from(der.subarray(e.value.start, e.value.end)).toString('hex').toUpperCase()}`;
    } else {
      out += `${sn}=${escapeValue(der.subarray(e.value.contentStart, e.value.end), width)}`;
    }
  }
  return out;
}

/** OpenSSL's do_buf + do_esc_char for ASN1_STRFLGS_RFC2253. */
function escapeValue(data: Uint8Array, width: 0 | 1 | 2 | 4): string {
  const step = width === 0 ? 1 : width;
  let out = '';
  for (let p = 0; p + step <= data.length; p += step) {
    let c = 0;
    for (let i = 0; i < step; i++) c = c * 256 + (data[p + i] ?? 0);
    // first/last character rules; a one-character value counts as last only, as in do_buf
    const first = p === 0;
    const last = p + step >= data.length;
    const position: 'first' | 'last' | 'middle' = last ? 'last' : first ? 'first' : 'middle';
    if (width === 0 || c < 0x80) {
      out += escapeByte(c, position);
    } else if (c > 0x10ffff) {
      out += `\\W${c.toString(16).toUpperCase().padStart(8, '0')}`;
    } else {
      // converted to UTF-8; every byte of it is >= 0x80 and escaped as \XX
      for (const b of Buffer.from(String.fromCodePoint(c), 'utf8')) out += escapeByte(b, position);
    }
  }
  return out;
}

function escapeByte(c: number, position: 'first' | 'last' | 'middle'): string {
  if (c > 0x7f || c < 0x20 || c === 0x7f) return `\\${c.toString(16).toUpperCase().padStart(2, '0')}`;
  if (
    BACKSLASH_ESCAPED.has(c) ||
    (position === 'first' && (c === 0x20 || c === 0x23)) ||
    (position === 'last' && c === 0x20)
  ) {
    return `\\${String.fromCharCode(c)}`;
  }
  return String.fromCharCode(c);
}

/** nginx: i2a_ASN1_INTEGER via ngx_ssl_get_serial_number. `content` is the INTEGER's content octets. */
export function formatSerial(content: Uint8Array): string {
  if (content.length === 0) return '00';
  const negative = ((content[0] ?? 0) & 0x80) !== 0;
  let bytes = Uint8Array.from(content);
  if (negative) {
    // two's complement magnitude
    let carry = 1;
    for (let i = bytes.length - 1; i >= 0; i--) {
      const v = ((~(bytes[i] ?? 0)) & 0xff) + carry;
      bytes[i] = v & 0xff;
      carry = v >> 8;
    }
  }
  // DER keeps a leading 0x00 (or 0xFF) only for the sign; OpenSSL's ASN1_INTEGER stores the magnitude
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  return `${negative ? '-' : ''}${Buffer.from(bytes).toString('hex').toUpperCase()}`;
}

function firstValue(der: Uint8Array, name: DerNode, oid: string): string | null {
  const e = entries(der, name).find((x) => x.oid === oid);
  if (e === undefined) return null;
  const data = Buffer.from(der.subarray(e.value.contentStart, e.value.end));
  switch (e.value.tag) {
    case 30: // BMPString: UTF-16BE
      return Buffer.from(data).swap16().toString('utf16le');
    case 20: // T61String, taken as Latin-1 by OpenSSL
      return data.toString('latin1');
    default:
      return data.toString('utf8');
  }
}
