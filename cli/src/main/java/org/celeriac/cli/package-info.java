/**
 * The {@code celeriac} command line (picocli): {@code worker}, {@code call}, {@code result} and
 * {@code demo}, mirroring Celery's {@code celery worker}, {@code celery call} and {@code celery result}.
 * Output discipline: stdout carries only a command's result; logs and progress go to stderr.
 * Internal to the launcher: not an API.
 */
package org.celeriac.cli;
