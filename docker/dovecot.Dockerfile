# Dovecot (IMAPS 993, POP3S 995, LMTP 24 on the internal network) serving the Maildirs the MTA
# writes, authenticating holders against the mailboxes table. Configuration: docker/dovecot/.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-pgsql ca-certificates netcat-openbsd \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pec && useradd --system --uid 10001 --gid pec --no-create-home pec
COPY docker/dovecot/ /etc/dovecot/pec/
EXPOSE 993 995 24
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["sh", "-c", "nc -z 127.0.0.1 993"]
CMD ["dovecot", "-F", "-c", "/etc/dovecot/pec/dovecot.conf"]
