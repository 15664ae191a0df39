package org.celeriac.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The default of a task parameter, as a JSON literal, used when neither a positional argument nor a
 * keyword argument supplies it: Python's {@code def fail(msg, retries=0, countdown=0.5)} is
 * {@code fail(String msg, @DefaultValue("0") long retries, @DefaultValue("0.5") double countdown)}.
 * {@code "null"} is a valid default. The literal is read with the same rules as task arguments.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface DefaultValue {
    /** A JSON literal: a number, a string in double quotes, {@code true}, {@code false} or {@code null}. */
    String value();
}
