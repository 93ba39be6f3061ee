package dev.junction.chain.serialization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Deep comparison of messages after a round trip. Records compare with {@code equals} only as far as
 * their fields do, and a {@code byte[]} field compares by identity: this walks record components, lists,
 * maps and optionals and compares arrays by content, naming the path of the first difference.
 */
final class SameContent {
  private SameContent() {}

  static void assertSameContent(Object expected, Object actual) {
    compare(expected, actual, expected == null ? "null" : expected.getClass().getSimpleName());
  }

  private static void compare(Object expected, Object actual, String path) {
    if (expected == null) {
      assertNull(actual, path);
      return;
    }
    assertNotNull(actual, path);
    if (expected instanceof byte[] e) {
      assertArrayEquals(e, (byte[]) actual, path);
    } else if (expected.getClass().isArray()) {
      assertTrue(Arrays.deepEquals(new Object[] {expected}, new Object[] {actual}), path);
    } else if (expected instanceof Record) {
      assertEquals(expected.getClass(), actual.getClass(), path);
      for (RecordComponent c : expected.getClass().getRecordComponents()) {
        compare(value(c, expected), value(c, actual), path + "." + c.getName());
      }
    } else if (expected instanceof List<?> e) {
      List<?> a = (List<?>) actual;
      assertEquals(e.size(), a.size(), path + ".size()");
      for (int i = 0; i < e.size(); i++) {
        compare(e.get(i), a.get(i), path + "[" + i + "]");
      }
    } else if (expected instanceof Map<?, ?> e) {
      Map<?, ?> a = (Map<?, ?>) actual;
      assertEquals(e.keySet(), a.keySet(), path + ".keySet()");
      for (Iterator<?> it = e.keySet().iterator(); it.hasNext(); ) {
        Object key = it.next();
        compare(e.get(key), a.get(key), path + "[" + key + "]");
      }
    } else if (expected instanceof Optional<?> e) {
      Optional<?> a = (Optional<?>) actual;
      assertEquals(e.isPresent(), a.isPresent(), path + ".isPresent()");
      if (e.isPresent()) {
        compare(e.get(), a.get(), path + ".get()");
      }
    } else {
      assertEquals(expected, actual, path);
    }
  }

  private static Object value(RecordComponent c, Object record) {
    try {
      c.getAccessor().setAccessible(true);
      return c.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot read " + c, e);
    }
  }
}
