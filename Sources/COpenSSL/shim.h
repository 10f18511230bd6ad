// OpenSSL, for one thing libmosquitto does not tell: why a broker's certificate failed verification.
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>
#include <openssl/bio.h>
