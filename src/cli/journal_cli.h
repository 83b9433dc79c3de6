/* vouch journal's verbs that need no vouchd: verify (a bundle) and audit (a database or a public URL). */
#ifndef VOUCH_JOURNAL_CLI_H
#define VOUCH_JOURNAL_CLI_H

int cmd_journal(int argc, char **argv);
/* argv[0] is "verify" / "audit" */
int cmd_journal_verify(int argc, char **argv);
int cmd_journal_audit(int argc, char **argv);

#endif
