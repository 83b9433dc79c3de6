/* The simulated platform on disk: a state directory keeps the same root, PCK and QE across restarts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "jsonout.h"
#include "sim_internal.h"
#include "vouch/util.h"

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int save_mem(const char *dir, const char *name, BIO *b, unsigned mode)
{
	char *data = NULL, *path = path_in(dir, name);
	long n = BIO_get_mem_data(b, &data);
	int err = path && n >= 0 ? vouch_file_write_atomic(path, data, (size_t)n, mode) : VOUCH_E_NOMEM;
	free(path);
	return err;
}

int vouch_sim_save(const vouch_sim *s, const char *dir)
{
	int err = vouch_mkdirs(dir, 0700);
	if (err)
		return err;
	const vouch_sim_config *c = &s->cfg;
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "created", json_integer(c->now));
	json_object_set_new(o, "fmspc", json_hex(c->fmspc, 6));
	json_object_set_new(o, "pceid", json_hex(c->pceid, 2));
	json_object_set_new(o, "pcesvn", json_integer(c->pcesvn));
	json_object_set_new(o, "cpusvn", json_hex(c->cpusvn, 16));
	json_object_set_new(o, "tee_tcb_svn", json_hex(c->tee_tcb_svn, 16));
	json_object_set_new(o, "qe_isvsvn", json_integer(c->qe_isvsvn));
	json_object_set_new(o, "platform_status", json_string(vouch_tcb_status_name(c->platform_status)));
	json_object_set_new(o, "advisory_ids", json_string(s->advisories));
	json_object_set_new(o, "qe_status", json_string(vouch_tcb_status_name(c->qe_status)));
	json_object_set_new(o, "revoke_pck", json_boolean(c->revoke_pck));
	json_object_set_new(o, "ppid", json_hex(s->ppid, 16));
	json_object_set_new(o, "qe_mrsigner", json_hex(s->qe_mrsigner, 32));
	char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	char *path = path_in(dir, "sim.json");
	err = text && path ? vouch_file_write_atomic(path, text, strlen(text), 0600) : VOUCH_E_NOMEM;
	free(text);
	free(path);
	/* a secure-memory BIO is cleared when freed: the private keys do not linger on the heap */
	BIO *keys = BIO_new(BIO_s_secmem()), *certs = BIO_new(BIO_s_mem());
	for (int i = 0; !err && i < SIM_KEYS; i++)
		if (!PEM_write_bio_PrivateKey(keys, s->keys[i], NULL, NULL, 0, NULL, NULL))
			err = VOUCH_E_CRYPTO;
	for (int i = 0; !err && i < SIM_CERTS; i++)
		if (!PEM_write_bio_X509(certs, s->certs[i]))
			err = VOUCH_E_CRYPTO;
	if (!err)
		err = save_mem(dir, "sim-keys.pem", keys, 0600);
	if (!err)
		err = save_mem(dir, "sim-certs.pem", certs, 0644);
	BIO_free(keys);
	BIO_free(certs);
	if (!err && !(path = path_in(dir, "sim-root.der")))
		err = VOUCH_E_NOMEM;
	else if (!err) {
		err = vouch_file_write_atomic(path, s->root_der, s->root_der_len, 0644);
		free(path);
	}
	return err;
}

static int get_hex(json_t *o, const char *key, uint8_t *out, size_t n)
{
	json_t *v = json_object_get(o, key);
	size_t got;
	return json_is_string(v) && vouch_hex_decode(out, n, &got, json_string_value(v), json_string_length(v)) == 0 &&
	       got == n;
}

static int get_status(json_t *o, const char *key, vouch_tcb_status *out)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) && vouch_tcb_status_parse(out, json_string_value(v), json_string_length(v)) == 0;
}

int vouch_sim_load(vouch_sim **out, const char *dir, char *msg, size_t cap)
{
	*out = NULL;
	char *jpath = path_in(dir, "sim.json"), *kpath = path_in(dir, "sim-keys.pem"), *cpath = path_in(dir, "sim-certs.pem");
	uint8_t *text = NULL;
	size_t n;
	vouch_sim *s = calloc(1, sizeof *s);
	json_t *o = NULL;
	BIO *kb = NULL, *cb = NULL;
	int err = s && jpath && kpath && cpath ? vouch_file_read(jpath, 1 << 20, &text, &n) : VOUCH_E_NOMEM;
	if (err) {
		snprintf(msg, cap, "%s: %s", jpath ? jpath : dir, err == VOUCH_E_IO ? strerror(errno) : vouch_strerror(err));
		goto out;
	}
	err = VOUCH_E_COLLATERAL;
	o = json_loadb((const char *)text, n, 0, NULL);
	vouch_sim_config *c = &s->cfg;
	json_t *adv = json_object_get(o, "advisory_ids");
	if (!json_is_object(o) || json_integer_value(json_object_get(o, "version")) != 1 || !get_hex(o, "fmspc", c->fmspc, 6) ||
	    !get_hex(o, "pceid", c->pceid, 2) || !get_hex(o, "cpusvn", c->cpusvn, 16) ||
	    !get_hex(o, "tee_tcb_svn", c->tee_tcb_svn, 16) || !get_hex(o, "ppid", s->ppid, 16) ||
	    !get_hex(o, "qe_mrsigner", s->qe_mrsigner, 32) || !get_status(o, "platform_status", &c->platform_status) ||
	    !get_status(o, "qe_status", &c->qe_status) || !json_is_string(adv)) {
		snprintf(msg, cap, "%s: not a simulator description", jpath);
		goto out;
	}
	c->now = json_integer_value(json_object_get(o, "created"));
	c->pcesvn = (uint16_t)json_integer_value(json_object_get(o, "pcesvn"));
	c->qe_isvsvn = (uint16_t)json_integer_value(json_object_get(o, "qe_isvsvn"));
	c->revoke_pck = json_is_true(json_object_get(o, "revoke_pck"));
	snprintf(s->advisories, sizeof s->advisories, "%s", json_string_value(adv));
	kb = BIO_new_file(kpath, "r");
	cb = BIO_new_file(cpath, "r");
	for (int i = 0; kb && i < SIM_KEYS; i++)
		s->keys[i] = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	for (int i = 0; cb && i < SIM_CERTS; i++)
		s->certs[i] = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	/* every certificate must belong to its key: a mixed-up state directory is refused, not half-used */
	static const int key_of[SIM_CERTS] = {SIM_KEY_ROOT, SIM_KEY_CA, SIM_KEY_PCK, SIM_KEY_TCB};
	for (int i = 0; i < SIM_CERTS; i++)
		if (!s->certs[i] || !s->keys[key_of[i]] || X509_check_private_key(s->certs[i], s->keys[key_of[i]]) != 1) {
			snprintf(msg, cap, "%s and %s do not match", kpath, cpath);
			goto out;
		}
	if (!s->keys[SIM_KEY_ATT]) {
		snprintf(msg, cap, "%s: the attestation key is missing", kpath);
		goto out;
	}
	err = sim_finish(s);
out:
	BIO_free(kb);
	BIO_free(cb);
	json_decref(o);
	free(text);
	free(jpath);
	free(kpath);
	free(cpath);
	if (err)
		vouch_sim_free(s);
	else
		*out = s;
	return err;
}

void vouch_sim_set_time(vouch_sim *s, int64_t now)
{
	s->cfg.now = now;
}

const vouch_sim_config *vouch_sim_config_of(const vouch_sim *s)
{
	return &s->cfg;
}
