/**
 * OpenSSL's certificate verification result codes (X509_V_ERR_*, OpenSSL 3.0's x509_vfy.h), which nginx
 * prints as numbers (`client SSL certificate verify error: (23:certificate revoked)`).
 *
 * Owns: turning the code name Node reports (`tlsSocket.ssl.verifyError().code`, e.g. `CERT_REVOKED`) back
 * into its number, and nginx's list of errors `ssl_verify_client optional_no_ca` tolerates
 * (ngx_ssl_verify_error_optional). Node names only the common codes; for the others it reports the text,
 * and the number is then 1 (X509_V_ERR_UNSPECIFIED) — noted in docs/tls.md.
 */

export const X509_V_ERR = {
  UNSPECIFIED: 1,
  UNABLE_TO_GET_ISSUER_CERT: 2,
  UNABLE_TO_GET_CRL: 3,
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 4,
  UNABLE_TO_DECRYPT_CRL_SIGNATURE: 5,
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 6,
  CERT_SIGNATURE_FAILURE: 7,
  CRL_SIGNATURE_FAILURE: 8,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  CRL_NOT_YET_VALID: 11,
  CRL_HAS_EXPIRED: 12,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13,
  ERROR_IN_CERT_NOT_AFTER_FIELD: 14,
  ERROR_IN_CRL_LAST_UPDATE_FIELD: 15,
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: 16,
  OUT_OF_MEM: 17,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  NO_ISSUER_PUBLIC_KEY: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  HOSTNAME_MISMATCH: 62,
  EMAIL_MISMATCH: 63,
  IP_ADDRESS_MISMATCH: 64,
  INVALID_CA: 79,
} as const;

/** OpenSSL's X509_verify_cert_error_string for the code this module adds itself (the depth check). */
export const CERT_CHAIN_TOO_LONG_TEXT = 'certificate chain too long';

/** The number for a code name Node reports; 1 (unspecified) for names it does not map. */
export function verifyErrorNumber(codeName: string): number {
  return (X509_V_ERR as Readonly<Record<string, number>>)[codeName] ?? X509_V_ERR.UNSPECIFIED;
}

/** nginx: ngx_ssl_verify_error_optional — what `optional_no_ca` lets through. */
export function isOptionalVerifyError(code: number): boolean {
  return (
    code === X509_V_ERR.DEPTH_ZERO_SELF_SIGNED_CERT ||
    code === X509_V_ERR.SELF_SIGNED_CERT_IN_CHAIN ||
    code === X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
    code === X509_V_ERR.CERT_UNTRUSTED ||
    code === X509_V_ERR.UNABLE_TO_VERIFY_LEAF_SIGNATURE
  );
}
