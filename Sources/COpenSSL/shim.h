// OpenSSL, for one thing libmosquitto does not tell: why a broker's certificate failed verification; and
// PBKDF2-HMAC-SHA256 for the staff PIN's hash (the prompt).
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
