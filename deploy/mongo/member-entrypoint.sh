#!/bin/sh
# Entrypoint of each MongoDB replica-set member in docker-compose.yml: puts the keyfile in place, then hands over
# to the official image's entrypoint with the same arguments.
#
# Why a copy: mongod refuses a keyfile that its group or others can read, and reads it as the mongodb user (the
# image's entrypoint drops from root to it). Compose without swarm bind-mounts a file secret as it is on the host,
# with the host's owner and mode (the secret's uid/gid/mode options are swarm-only and ignored), so neither can be
# relied on. This runs as root before the image's entrypoint drops privileges, so it can make a private copy that
# mongodb owns and only mongodb reads, whatever the host file looks like.
set -eu

source_file=/run/secrets/mongo_keyfile
keyfile=/etc/mongo-keyfile  # must match --keyFile in docker-compose.yml

if [ ! -s "$source_file" ]; then
    echo "mongo keyfile secret $source_file is missing or empty (see docs/deployment.md)" >&2
    exit 1
fi

# umask first, so the copy is never readable by others, not even between cp and chmod.
umask 077
cp "$source_file" "$keyfile"
chown mongodb:mongodb "$keyfile"
chmod 400 "$keyfile"

exec docker-entrypoint.sh "$@"
