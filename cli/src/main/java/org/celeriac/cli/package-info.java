/**
 * The {@code celeriac} command line (picocli): {@code worker}, {@code call}, {@code result}, {@code beat},
 * {@code inspect}, {@code control}, {@code status}, {@code events}, {@code purge}, {@code multi}, {@code demo} and
 * {@code tck}, mirroring Celery's {@code celery} verbs, their options and output.
 * Output discipline: stdout carries only a command's result; logs and progress go to stderr.
 * Internal to the launcher: not an API.
 */
package org.celeriac.cli;
