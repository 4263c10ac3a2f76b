/* lifeboat's Dropbear options (overrides default_options.h). */
/* sftp-server from OpenSSH is installed here; Dropbear execs it for the "sftp" subsystem. */
#define SFTPSERVER_PATH "/usr/libexec/sftp-server"
/* Host keys are generated at boot by init (or injected). Dropbear may start with -R before
   they are made: a connection that comes first makes the key itself, at these paths. */
#define DROPBEAR_DEFPORT "22"
#define DSS_PRIV_FILENAME "/etc/dropbear/dropbear_dss_host_key"
#define RSA_PRIV_FILENAME "/etc/dropbear/dropbear_rsa_host_key"
#define ECDSA_PRIV_FILENAME "/etc/dropbear/dropbear_ecdsa_host_key"
#define ED25519_PRIV_FILENAME "/etc/dropbear/dropbear_ed25519_host_key"
#define DEFAULT_PATH "/usr/bin:/bin:/usr/sbin:/sbin"
#define DEFAULT_ROOT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
/* The rescue image is the only place these keys live; no X11 or agent forwarding needed. */
#define DROPBEAR_X11FWD 0
#define DROPBEAR_SVR_AGENTFWD 0
