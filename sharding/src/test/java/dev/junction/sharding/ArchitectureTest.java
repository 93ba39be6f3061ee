package dev.junction.sharding;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The boundaries of the design: the pure cores (the store, the chain protocol, the routing table, the
 * placement planner) know nothing of actors, and nothing below the node knows of gRPC.
 */
class ArchitectureTest {
  private static final JavaClasses JUNCTION =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.junction");

  @Test
  void thePureCoresImportNoPekko() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.junction.store..", "dev.junction.chain.core..", "dev.junction.sharding.routing..",
            "dev.junction.sharding.placement..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.pekko..", "scala..", "io.grpc..")
        .check(JUNCTION);
  }

  @Test
  void theStoreDependsOnNoOtherJunctionModule() {
    noClasses()
        .that()
        .resideInAPackage("dev.junction.store..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.junction.chain..", "dev.junction.sharding..", "dev.junction.node..")
        .check(JUNCTION);
  }

  @Test
  void nothingBelowTheNodeKnowsGrpc() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.junction.store..", "dev.junction.chain..", "dev.junction.sharding..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.grpc..", "com.google.protobuf..")
        .check(JUNCTION);
  }
}
